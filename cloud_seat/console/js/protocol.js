// Protocol v1 envelope (docs/protocol.md "Envelope", "Requests, replies and events").
// Pure: no sockets here. Connection feeds frames in and sends what this builds.

export const VERSION = 1;
export const CLIENT = "xiaowu-seat-web/0.1.0";
export const MAX_FRAME = 65536;

/** A failed request: `code` is a protocol error code, or `disconnected` / `timeout`. */
export class ProtocolError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = "ProtocolError";
    this.code = code;
  }
}

/** Serialise one frame. `id` makes it a request (exactly one reply comes back). */
export function encode(type, data, id) {
  const frame = { v: VERSION, type, data: data || {} };
  if (id !== undefined && id !== null) frame.id = String(id);
  const text = JSON.stringify(frame);
  if (new TextEncoder().encode(text).length > MAX_FRAME) {
    throw new ProtocolError("too_large", `${type} frame over 64 KiB`);
  }
  return text;
}

/** Parse one text frame; null when it is not a protocol object. */
export function decode(text) {
  let frame;
  try { frame = JSON.parse(text); } catch (_) { return null; }
  if (!frame || typeof frame !== "object" || typeof frame.type !== "string") return null;
  if (!frame.data || typeof frame.data !== "object") frame.data = {};
  return frame;
}

/**
 * Outstanding requests by id. `open(type)` returns an id and a promise that the
 * matching reply settles: resolves with the success frame, rejects with a
 * ProtocolError for `error`, a timeout, or `failAll` (connection lost).
 */
export class Pending {
  constructor() {
    this.counter = 0;
    this.waiting = new Map();
  }

  open(type, timeoutMs = 10000) {
    const id = String(++this.counter);
    let entry;
    const promise = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ProtocolError("timeout", `no reply to ${type}`));
      }, timeoutMs);
      entry = { type, resolve, reject, timer };
    });
    this.waiting.set(id, entry);
    return { id, promise };
  }

  /** Settle the request a reply answers; false when the frame is not a reply we wait for. */
  settle(frame) {
    const re = frame.re;
    if (re === undefined || re === null) return false;
    const entry = this.waiting.get(String(re));
    if (!entry) return false;
    this.waiting.delete(String(re));
    clearTimeout(entry.timer);
    if (frame.type === "error") {
      entry.reject(new ProtocolError(frame.data.code || "internal", frame.data.message));
    } else {
      entry.resolve(frame);
    }
    return true;
  }

  cancel(id, error) {
    const entry = this.waiting.get(id);
    if (!entry) return;
    this.waiting.delete(id);
    clearTimeout(entry.timer);
    entry.reject(error);
  }

  failAll(error) {
    for (const id of [...this.waiting.keys()]) this.cancel(id, error);
  }
}

/** `http://host/...` → `ws://host/ws`, `https://…` → `wss://…/ws` (docs/protocol.md "Transport"). */
export function wsUrlFor(location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}
