// asciinema-player (npm, served from our own wwwroot/lib) playing one recording.
let player = null;
let loading = null;

function load() {
    if (window.AsciinemaPlayer) return Promise.resolve();
    return loading ??= new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = '/lib/asciinema-player/asciinema-player.min.js';
        s.onload = resolve;
        s.onerror = () => reject(new Error('asciinema-player did not load'));
        document.head.appendChild(s);
    });
}

export async function create(element, url, speed) {
    await load();
    dispose();
    element.innerHTML = '';
    // A new player keeps the position when only the speed changes.
    player = AsciinemaPlayer.create(url, element, { speed, idleTimeLimit: 2, fit: 'width', terminalFontSize: '14px' });
}

export function dispose() {
    player?.dispose?.();
    player = null;
}
