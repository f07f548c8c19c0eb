// Saves text as a file the browser downloads (the builder's spec, a sandbox's config.json).
export function download(name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function copy(text) {
    return navigator.clipboard.writeText(text);
}
