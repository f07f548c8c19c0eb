// xterm.js in the browser, wired to the terminal hub (SignalR, MessagePack: bytes stay bytes).
// Output arrives as a stream of batches; each batch is acknowledged once xterm.js has
// rendered it (its write callback), which is how the server knows when to stop reading a
// PTY (a tab that does not keep up, or is hidden) and when to go on.
import { Terminal } from '/lib/xterm/xterm.mjs';
import { FitAddon } from '/lib/xterm/addon-fit.mjs';
import { WebLinksAddon } from '/lib/xterm/addon-web-links.mjs';

const terminals = new Map();
let hub = null;

function connection() {
    if (hub) return hub;
    const c = new signalR.HubConnectionBuilder()
        .withUrl('/hubs/terminal')
        .withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol())
        .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ctx => Math.min(5000, 250 * (ctx.previousRetryCount + 1)) })
        .build();
    // After a dropped connection, every terminal attaches again and gets its recent output replayed.
    c.onreconnected(() => { for (const t of terminals.values()) t.attach(); });
    hub = { connection: c, ready: c.start() };
    return hub;
}

const encoder = new TextEncoder();
const ACK_EVERY = 16 * 1024;
// The hub ends an attachment with this when the same terminal is attached elsewhere (TerminalHub.AttachedElsewhere).
const ELSEWHERE = 'attached elsewhere';
// ...and a watch with this when the watcher fell behind (TerminalHub.FellBehind): it watches again.
const FELL_BEHIND = 'fell behind';

class Session {
    // watch: an instructor's read-only view (or a thumbnail) of someone else's terminal: no size,
    // no acknowledgements, and keys only while taken over (the hub drops them otherwise anyway).
    constructor(element, id, watch) {
        this.id = id;
        this.watch = watch;
        this.typing = !watch;
        this.element = element;
        this.term = new Terminal({
            // A blinking cursor is a CSS animation: Chromium then renders every frame, and since it
            // holds network tasks after a key until the next frame (DeferRendererTasksAfterInput),
            // each echo waited up to 16 ms more (docs/web.md). A steady cursor also idles the CPU.
            cursorBlink: false,
            scrollback: 5000,
            fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
            fontSize: 14,
            theme: { background: '#1e1e1e' },
            // A watcher's stream says when the owner's terminal changed size (TerminalHub.Watch).
            windowOptions: watch ? { setWinSizeChars: true } : {},
        });
        this.fit = new FitAddon();
        this.term.loadAddon(this.fit);
        this.term.loadAddon(new WebLinksAddon());
        this.term.attachCustomKeyEventHandler(e => this.keys(e));
        this.term.open(element);
        this.pendingAck = 0;
        this.subscription = null;
        this.hub = connection();
        this.term.onData(data => this.send(encoder.encode(data)));
        this.term.onBinary(data => this.send(Uint8Array.from(data, ch => ch.charCodeAt(0))));
        this.term.onResize(({ cols, rows }) => { if (!this.watch) this.invoke('Resize', this.id, cols, rows); });
        this.resizeObserver = new ResizeObserver(() => this.refit());
        this.resizeObserver.observe(element);
        this.refit();
    }

    async invoke(method, ...args) {
        await this.hub.ready;
        try { await this.hub.connection.invoke(method, ...args); }
        catch (e) { console.warn(`terminal ${method}:`, e); }
    }

    // Keys and acknowledgements need no answer: sent without one (half the messages per key).
    async fire(method, ...args) {
        await this.hub.ready;
        try { await this.hub.connection.send(method, ...args); }
        catch (e) { console.warn(`terminal ${method}:`, e); }
    }

    send(bytes) {
        if (this.replaying || !this.typing) return; // xterm.js answering the replayed output (see replay); a watcher's keys

        this.fire('Input', this.id, bytes);
    }

    refit() {
        if (this.watch) return; // a watcher shows the owner's size
        if (this.element.offsetWidth === 0 || this.element.offsetHeight === 0) return; // hidden tab
        try { this.fit.fit(); } catch { }
    }

    // Copy and paste as people expect in a browser terminal: Ctrl+Shift+C/V always; Ctrl+C
    // copies when text is selected (otherwise it is ^C for the program); Ctrl+V pastes.
    keys(e) {
        if (e.type !== 'keydown') return true;
        const ctrl = e.ctrlKey || e.metaKey;
        const key = e.key.toLowerCase();
        if (ctrl && key === 'c' && (e.shiftKey || this.term.hasSelection())) {
            navigator.clipboard?.writeText(this.term.getSelection());
            this.term.clearSelection();
            e.preventDefault();
            return false;
        }
        if (ctrl && key === 'v') return false; // the browser's paste event reaches xterm.js
        return true;
    }

    async attach() {
        await this.hub.ready;
        this.subscription?.dispose();
        this.term.reset();
        this.pendingAck = 0;
        this.replaying = null;
        if (this.watch) {
            try {
                const [cols, rows] = await this.hub.connection.invoke('WatchSize', this.id);
                this.term.resize(cols, rows);
            } catch (e) { console.warn('terminal WatchSize:', e); }
        }
        else await this.invoke('Resize', this.id, this.term.cols, this.term.rows);
        let first = true;
        this.subscription = this.hub.connection.stream(this.watch ? 'Watch' : 'Attach', this.id).subscribe({
            next: bytes => {
                if (first) { first = false; this.replay(bytes); }
                else this.term.write(bytes, () => this.rendered(bytes.length));
            },
            complete: () => this.term.write('\r\n\x1b[2m[the process has ended]\x1b[0m\r\n'),
            error: err => {
                if (String(err?.message ?? err).includes(FELL_BEHIND)) setTimeout(() => this.attach(), 500);
                else if (String(err?.message ?? err).includes(ELSEWHERE))
                    this.term.write('\r\n\x1b[2m[this terminal is open in another tab or window now: reload this page to bring it back here]\x1b[0m\r\n');
                else console.warn('terminal stream:', err);
            },
        });
    }

    // The first batch of an attach is the recent output, replayed (possibly empty). Questions a
    // program asked the terminal back then (a shell's "where is the cursor?", ESC [6n) must not
    // be answered now: the answers would be typed into whatever reads the terminal today.
    replay(bytes) {
        if (bytes.length === 0) return;
        const replay = this.replaying = {};
        this.term.write(bytes, () => {
            if (this.replaying === replay) this.replaying = null;
            this.rendered(bytes.length);
        });
    }

    rendered(n) {
        if (this.watch) return; // a watcher has no say in flow control
        this.pendingAck += n;
        if (this.pendingAck >= ACK_EVERY) this.flushAck();
        else if (!this.ackTimer) this.ackTimer = setTimeout(() => this.flushAck(), 20);
    }

    flushAck() {
        clearTimeout(this.ackTimer);
        this.ackTimer = null;
        if (this.pendingAck === 0) return;
        const n = this.pendingAck;
        this.pendingAck = 0;
        this.fire('Ack', this.id, n);
    }

    dispose() {
        this.resizeObserver.disconnect();
        this.subscription?.dispose();
        this.term.dispose();
    }
}

// Views are keyed by the component that shows them: one page may show a terminal twice (a
// thumbnail and a full view).
export async function open(element, key, id, watch) {
    terminals.get(key)?.dispose();
    const s = new Session(element, id, watch);
    terminals.set(key, s);
    await s.attach();
    if (!watch) s.term.focus();
}

export function focus(key) {
    const s = terminals.get(key);
    if (!s) return;
    s.refit();
    s.term.focus();
}

// A watcher's keys go to the terminal (taken over) or nowhere.
export function typing(key, on) {
    const s = terminals.get(key);
    if (!s) return;
    s.typing = on;
    if (on) s.term.focus();
}

export function close(key) {
    terminals.get(key)?.dispose();
    terminals.delete(key);
}
