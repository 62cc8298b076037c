// Personal images (documents, face images) for the screen: fetched with the session
// token (docs/protocol.md "Call documents and face checks": every read needs
// `Authorization: Bearer`), shown through blob: URLs, and all of them revoked
// when the call ends, so nothing of the resident's stays in the page after the call.

import { fetchImage } from "./api.js";

export class ImageStore {
  /**
   * @param {object} opts
   * @param {() => string|null} opts.token  the session token
   * @param {(url: string, entry: {state: string, src: string|null}) => void} opts.onChange
   */
  constructor({ token, onChange, fetcher = fetchImage }) {
    this.token = token;
    this.onChange = onChange;
    this.fetcher = fetcher;
    this.entries = new Map(); // url -> {state: "loading"|"ready"|"error", src}
    this.epoch = 0; // bumped by clear(): a fetch of an older epoch is dropped on arrival
  }

  get size() {
    return this.entries.size;
  }

  /** Start fetching `url` unless it is loaded or loading (an error is retried). */
  want(url) {
    if (!url) return;
    const known = this.entries.get(url);
    if (known && known.state !== "error") return;
    const epoch = this.epoch;
    this._set(url, { state: "loading", src: null });
    this.fetcher(this.token(), url).then((blob) => {
      if (epoch !== this.epoch) return; // the call ended meanwhile: never show it
      this._set(url, { state: "ready", src: URL.createObjectURL(blob) });
    }, (err) => {
      if (epoch !== this.epoch) return;
      console.warn("image", url, err);
      this._set(url, { state: "error", src: null });
    });
  }

  /** Revoke every blob: URL and forget them all (call ended, logout). */
  clear() {
    this.epoch += 1;
    for (const entry of this.entries.values()) {
      if (entry.src) URL.revokeObjectURL(entry.src);
    }
    this.entries.clear();
  }

  _set(url, entry) {
    this.entries.set(url, entry);
    this.onChange(url, entry);
  }
}
