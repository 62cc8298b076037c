// The console's WebSocket to the hub: hello/welcome, resume, heartbeat, reconnect.
// docs/protocol.md "Handshake and resume" and "Close codes".

import { CLIENT, Pending, ProtocolError, decode, encode } from "./protocol.js";

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const ABUSE_BACKOFF_MS = 30000;

/**
 * One logical session that survives dropped sockets.
 *
 * Callbacks: `onFrame(frame)` for every pushed event; `onWelcome(data)` after each
 * successful hello (check `data.resumed`); `onStatus({phase, attempt})` with phase
 * `connecting` | `open` | `reconnecting` | `stopped`; `onFatal(reason)` when it
 * must not reconnect (`unauthenticated`, `revoked`, `replaced`): the caller
 * then goes back to the login screen.
 */
export class Connection {
  constructor({ url, token, sessionId = null, onFrame, onWelcome, onStatus, onFatal }) {
    this.url = url;
    this.token = token;
    this.onFrame = onFrame;
    this.onWelcome = onWelcome;
    this.onStatus = onStatus;
    this.onFatal = onFatal;
    this.pending = new Pending();
    this.ws = null;
    this.ready = false; // a welcome was received on the current socket
    this.sessionId = sessionId; // resumed on every hello
    this.attempt = 0;
    this.stopped = true;
    this.retryTimer = null;
    this.pingTimer = null;
    this.heartbeatS = 20;
  }

  start() {
    this.stopped = false;
    this._open();
  }

  /** Close for good (logout). Pending requests fail with `disconnected`. */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this._stopPing();
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) {
      try { ws.close(1000, "logout"); } catch (_) { /* already closed */ }
    }
    this.pending.failAll(new ProtocolError("disconnected", "connection closed"));
    this.onStatus({ phase: "stopped", attempt: 0 });
  }

  /** Send a request; resolves with the success reply, rejects with ProtocolError. */
  request(type, data, timeoutMs = 10000) {
    if (!this.ready) {
      return Promise.reject(new ProtocolError("disconnected", "not connected"));
    }
    return this._request(type, data, timeoutMs);
  }

  /** Send an event (no id, no reply). Returns false when it could not be sent. */
  send(type, data) {
    if (!this.ready || !this.ws) return false;
    try {
      this.ws.send(encode(type, data));
      return true;
    } catch (err) {
      console.warn("send failed", type, err);
      return false;
    }
  }

  _request(type, data, timeoutMs) {
    const { id, promise } = this.pending.open(type, timeoutMs);
    try {
      this.ws.send(encode(type, data, id));
    } catch (err) {
      this.pending.cancel(id, err instanceof ProtocolError ? err
        : new ProtocolError("disconnected", String(err)));
    }
    return promise;
  }

  _open() {
    if (this.stopped) return;
    this.onStatus({ phase: this.attempt === 0 ? "connecting" : "reconnecting", attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this._scheduleRetry();
      return;
    }
    this.ws = ws;
    this.ready = false;
    ws.onopen = () => this._hello(ws);
    ws.onmessage = (ev) => {
      if (ws !== this.ws || typeof ev.data !== "string") return;
      const frame = decode(ev.data);
      if (!frame) return;
      if (this.pending.settle(frame)) return;
      if (this.ready) this.onFrame(frame);
    };
    ws.onclose = (ev) => this._closed(ws, ev.code, ev.reason || "");
    ws.onerror = () => { /* onclose follows */ };
  }

  async _hello(ws) {
    if (ws !== this.ws) return;
    let reply;
    try {
      reply = await this._request("hello", { token: this.token, client: CLIENT, resume: this.sessionId }, 10000);
    } catch (err) {
      if (ws !== this.ws) return;
      if (err.code === "unauthenticated") {
        this._fatal("unauthenticated");
      } else {
        try { ws.close(); } catch (_) { /* ignore */ }
      }
      return;
    }
    if (ws !== this.ws) return;
    const data = reply.data;
    this.sessionId = data.session_id;
    this.heartbeatS = Math.max(1, Number(data.heartbeat_s) || 20);
    this.ready = true;
    this.attempt = 0;
    this._startPing(ws);
    this.onStatus({ phase: "open", attempt: 0 });
    this.onWelcome(data);
  }

  _startPing(ws) {
    this._stopPing();
    this.pingTimer = setInterval(() => {
      if (ws !== this.ws || !this.ready) return;
      // A ping with no pong in two heartbeats means a dead socket the browser has
      // not noticed (NAT drop, sleeping laptop): close it and reconnect.
      this._request("ping", {}, this.heartbeatS * 2000).catch((err) => {
        if (ws === this.ws && err.code === "timeout") {
          try { ws.close(4000, "heartbeat timeout"); } catch (_) { /* ignore */ }
          this._closed(ws, 4000, "heartbeat timeout");
        }
      });
    }, this.heartbeatS * 1000);
  }

  _stopPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  _closed(ws, code, reason) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.ready = false;
    this._stopPing();
    this.pending.failAll(new ProtocolError("disconnected", `closed ${code}`));
    if (this.stopped) return;
    if (code === 4403) return this._fatal("revoked");
    if (code === 1000 && reason.includes("replaced")) return this._fatal("replaced");
    this._scheduleRetry(code === 1008 ? ABUSE_BACKOFF_MS : null);
  }

  _scheduleRetry(minDelay = null) {
    if (this.stopped) return;
    this.attempt += 1;
    const base = BACKOFF_MS[Math.min(this.attempt - 1, BACKOFF_MS.length - 1)];
    const delay = Math.max(minDelay || 0, base * (0.75 + Math.random() * 0.5));
    this.onStatus({ phase: "reconnecting", attempt: this.attempt });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._open(), delay);
  }

  _fatal(reason) {
    this.stop();
    this.onFatal(reason);
  }
}
