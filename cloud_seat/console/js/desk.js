// The agent's desk in a call: documents, the viewer and the face check.
// User actions and hub events change the store (through the pure functions of
// documents.js, facecheck.js and viewer.js); ui/documents.js, ui/viewer.js and
// ui/facecheck.js draw it. Images come through ImageStore (bearer fetch, blob:
// URLs), which is emptied whenever there is no call.

import * as api from "./api.js";
import * as docs from "./documents.js";
import * as face from "./facecheck.js";
import { ImageStore } from "./images.js";
import { notice } from "./state.js";
import { $ } from "./ui/dom.js";
import { viewerScale } from "./ui/viewer.js";
import * as view from "./viewer.js";

const EVENTS = {
  "document.status": docs.onStatus,
  "document.added": docs.onAdded,
  "face.check.status": face.onStatus,
  "face.check.result": face.onResult,
};

export class Desk {
  /**
   * @param {object} opts
   * @param {object} opts.store  the console's store (get, subscribe)
   * @param {(fn: (draft, now) => void) => void} opts.update
   * @param {(type: string, data: object) => Promise<object>} opts.request  a hub request
   * @param {(err: Error) => void} opts.fail  show a failed request
   * @param {() => boolean} [opts.inking]  the agent draws on the open document (no panning then)
   */
  constructor({ store, update, request, fail, inking = () => false }) {
    this.inking = inking;
    this.store = store;
    this.update = update;
    this.request = request;
    this.fail = fail;
    this.images = new ImageStore({
      token: () => store.get().auth?.token || null,
      onChange: (url, entry) => update((d) => { d.images = { ...d.images, [url]: entry }; }),
    });
    this.drag = null; // {id, x, y} while the image is dragged
    // Personal data lives only as long as the call: no call, no images.
    store.subscribe((state) => {
      if (!state.call && this.images.size) this.images.clear();
    });
  }

  handles(type) {
    return type in EVENTS;
  }

  /** A pushed hub event of ours. */
  handle(frame) {
    const { type, data } = frame;
    this.update((d, now) => EVENTS[type](d, data, now));
    if (type === "document.added") this.images.want(data.thumb_url);
    if (type === "face.check.result") {
      this.images.want(data.portrait_url);
      this.images.want(data.live_url);
      // the result is what the agent must act on: bring it into view in the sidebar
      requestAnimationFrame(() => $("face-card").scrollIntoView({ block: "nearest", behavior: "smooth" }));
    }
  }

  /** `call.start` (also repeated after a resume or a reload): rebuild the strip and the face
   * check from the hub. */
  async callStarted(callId) {
    const { auth } = this.store.get();
    const token = auth?.token;
    if (!token) return;
    let listed;
    try {
      listed = await api.listDocuments(token, callId);
    } catch (err) {
      console.warn("documents", err);
      return;
    }
    const documents = Array.isArray(listed.documents) ? listed.documents : [];
    this.update((d) => docs.onListed(d, callId, documents));
    for (const doc of documents) if (!doc.deleted) this.images.want(doc.thumb_url);
    let checks;
    try {
      checks = (await api.listFaceChecks(token, callId)).face_checks || [];
    } catch (err) {
      console.warn("face checks", err);
      return;
    }
    this.update((d) => face.onListed(d, callId, checks, auth));
    const result = this.store.get().face?.result;
    if (result) {
      this.images.want(result.portrait_url);
      this.images.want(result.live_url);
    }
  }

  // ------------------------------------------------------------ documents

  async requestDocument(kind) {
    const { call, docs: current } = this.store.get();
    if (!call || !current || current.busy) return;
    const instruction = docs.instructionFor(kind, current.instruction);
    this.update((d) => { if (d.docs) d.docs = { ...d.docs, busy: true }; });
    try {
      const reply = await this.request("document.request", { call_id: call.callId, kind, instruction });
      this.update((d, now) => {
        docs.onRequested(d, reply.data, now);
        if (d.docs) d.docs = { ...d.docs, instruction: "" };
      });
    } catch (err) {
      this.fail(err);
    } finally {
      this.update((d) => { if (d.docs) d.docs = { ...d.docs, busy: false }; });
    }
  }

  /** A failed request: ask again for the same kind and instruction, or put it away. */
  async requestAction(requestId, action) {
    const current = this.store.get().docs;
    const failed = current && current.requests.find((r) => r.requestId === requestId);
    if (!failed) return;
    this.update((d) => docs.dismissRequest(d, requestId));
    if (action === "again" && failed.kind) {
      this.update((d) => { if (d.docs) d.docs = { ...d.docs, instruction: failed.instruction || "" }; });
      await this.requestDocument(failed.kind);
    }
  }

  setInstruction(text) {
    this.update((d) => { if (d.docs) d.docs = { ...d.docs, instruction: text.slice(0, docs.MAX_TEXT) }; });
  }

  // ------------------------------------------------------------ viewer

  openViewer(documentId) {
    const doc = this._doc(documentId);
    if (!doc) return;
    this.images.want(doc.url);
    this.update((d) => { d.viewer = view.openViewer(documentId); });
    requestAnimationFrame(() => $("viewer-stage")?.focus());
  }

  closeViewer() {
    this.update((d) => { d.viewer = null; });
  }

  /** Show the previous (-1) or next (+1) document of the strip. */
  step(delta) {
    const { docs: current, viewer } = this.store.get();
    if (!current || !viewer) return;
    const i = current.items.findIndex((x) => x.documentId === viewer.documentId);
    const next = current.items[i + delta];
    if (next) this.openViewer(next.documentId);
  }

  zoom(factor) {
    this._view((v, scale) => view.zoomBy(v, factor, scale));
  }

  actualSize() {
    this._view((v, scale) => view.zoomTo(v, 1, scale));
  }

  fit() {
    this._view((v) => view.fit(v));
  }

  rotate() {
    this._view((v) => view.rotate(v));
  }

  pan(dx, dy) {
    this._view((v) => view.pan(v, dx, dy));
  }

  startReview(decision) {
    this.update((d) => {
      if (!d.viewer) return;
      d.viewer = { ...d.viewer, review: decision === "rescan"
        ? { decision, presets: [], text: "", busy: false } : null };
    });
    if (decision === "accepted") this.sendReview("accepted");
  }

  togglePreset(key) {
    this.update((d) => {
      const r = d.viewer && d.viewer.review;
      if (!r) return;
      const presets = r.presets.includes(key) ? r.presets.filter((k) => k !== key) : [...r.presets, key];
      d.viewer = { ...d.viewer, review: { ...r, presets } };
    });
  }

  setReasonText(text) {
    this.update((d) => {
      const r = d.viewer && d.viewer.review;
      if (r) d.viewer = { ...d.viewer, review: { ...r, text: text.slice(0, docs.MAX_TEXT) } };
    });
  }

  async sendReview(decision) {
    const { viewer } = this.store.get();
    if (!viewer || viewer.busy) return;
    const body = { document_id: viewer.documentId, decision };
    if (decision === "rescan") {
      const r = viewer.review || { presets: [], text: "" };
      const reason = docs.rescanReason(r.presets, r.text);
      if (!reason) return; // the resident must be told why
      body.reason = reason;
    }
    this.update((d) => { if (d.viewer) d.viewer = { ...d.viewer, busy: true }; });
    try {
      const reply = await this.request("document.review", body);
      this.update((d, now) => {
        docs.onReviewed(d, reply.data, now);
        // After a re-scan request the agent waits for the new scan: back to the video.
        if (decision === "rescan") d.viewer = null;
        else if (d.viewer) d.viewer = { ...d.viewer, review: null };
        notice(d, decision === "rescan" ? "docs.rescan.sent" : "docs.accepted.done");
      });
    } catch (err) {
      this.fail(err);
    } finally {
      this.update((d) => { if (d.viewer) d.viewer = { ...d.viewer, busy: false }; });
    }
  }

  // ------------------------------------------------------------ face check

  chooseFaceDocument(documentId) {
    this.update((d) => { if (d.face) d.face = { ...d.face, documentId }; });
  }

  async startFaceCheck() {
    const { call, face: f, docs: current } = this.store.get();
    if (!call || !f || f.busy) return;
    const candidates = docs.faceCandidates(current);
    const documentId = candidates.some((c) => c.documentId === f.documentId)
      ? f.documentId : candidates[0]?.documentId;
    if (!documentId) return;
    this.update((d) => {
      if (d.face) d.face = { ...face.emptyFace(call.callId), documentId, phase: "starting", busy: true };
    });
    try {
      const reply = await this.request("face.check.start", { call_id: call.callId, document_id: documentId });
      this.update((d) => face.onStarted(d, reply.data));
    } catch (err) {
      this.update((d) => { if (d.face) d.face = { ...d.face, phase: "idle", busy: false }; });
      this.fail(err);
    }
  }

  setFaceNote(text) {
    this.update((d) => { if (d.face) d.face = { ...d.face, note: text.slice(0, docs.MAX_TEXT) }; });
  }

  async decideFace(decision) {
    const f = this.store.get().face;
    if (!f || !f.checkId || f.busy) return;
    const body = { check_id: f.checkId, decision };
    if (f.note.trim()) body.note = f.note.trim();
    this.update((d) => { if (d.face) d.face = { ...d.face, busy: true }; });
    try {
      const reply = await this.request("face.check.decide", body);
      this.update((d) => face.onDecided(d, reply.data));
    } catch (err) {
      this.update((d) => { if (d.face) d.face = { ...d.face, busy: false }; });
      this.fail(err);
    }
  }

  // ------------------------------------------------------------ DOM

  bind() {
    $("doc-kinds").addEventListener("click", (e) => {
      const btn = e.target.closest("button[data-kind]");
      if (btn) this.requestDocument(btn.dataset.kind);
    });
    $("doc-instruction").addEventListener("input", (e) => this.setInstruction(e.target.value));
    $("doc-requests").addEventListener("click", (e) => {
      const btn = e.target.closest("button[data-action]");
      const row = e.target.closest("[data-request-id]");
      if (btn && row) this.requestAction(row.dataset.requestId, btn.dataset.action);
    });
    $("doc-strip").addEventListener("click", (e) => {
      const tile = e.target.closest("[data-document-id]");
      if (tile) this.openViewer(tile.dataset.documentId);
    });

    $("viewer-close").addEventListener("click", () => this.closeViewer());
    $("viewer-zoom-in").addEventListener("click", () => this.zoom(view.ZOOM_STEP));
    $("viewer-zoom-out").addEventListener("click", () => this.zoom(1 / view.ZOOM_STEP));
    $("viewer-fit").addEventListener("click", () => this.fit());
    $("viewer-actual").addEventListener("click", () => this.actualSize());
    $("viewer-rotate").addEventListener("click", () => this.rotate());
    $("viewer-prev").addEventListener("click", () => this.step(-1));
    $("viewer-next").addEventListener("click", () => this.step(1));
    $("btn-doc-accept").addEventListener("click", () => this.startReview("accepted"));
    $("btn-doc-rescan").addEventListener("click", () => this.startReview("rescan"));
    $("rescan-presets").addEventListener("click", (e) => {
      const chip = e.target.closest("button[data-reason]");
      if (chip) this.togglePreset(chip.dataset.reason);
    });
    $("rescan-text").addEventListener("input", (e) => this.setReasonText(e.target.value));
    $("rescan-cancel").addEventListener("click", () => this.update((d) => {
      if (d.viewer) d.viewer = { ...d.viewer, review: null };
    }));
    $("rescan-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.sendReview("rescan");
    });
    this._bindStage($("viewer-stage"));
    document.addEventListener("keydown", (e) => this._key(e));

    $("face-document").addEventListener("change", (e) => this.chooseFaceDocument(e.target.value));
    $("btn-face-start").addEventListener("click", () => this.startFaceCheck());
    $("btn-face-again").addEventListener("click", () => this.startFaceCheck());
    $("face-note").addEventListener("input", (e) => this.setFaceNote(e.target.value));
    $("btn-face-confirm").addEventListener("click", () => this.decideFace("confirmed"));
    $("btn-face-reject").addEventListener("click", () => this.decideFace("rejected"));
  }

  _bindStage(stage) {
    stage.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || this.inking()) return;
      stage.setPointerCapture(e.pointerId);
      this.drag = { id: e.pointerId, x: e.clientX, y: e.clientY };
      stage.dataset.dragging = "true";
    });
    stage.addEventListener("pointermove", (e) => {
      if (!this.drag || this.drag.id !== e.pointerId) return;
      const dx = e.clientX - this.drag.x;
      const dy = e.clientY - this.drag.y;
      this.drag = { ...this.drag, x: e.clientX, y: e.clientY };
      this.pan(dx, dy);
    });
    const end = (e) => {
      if (!this.drag || this.drag.id !== e.pointerId) return;
      this.drag = null;
      delete stage.dataset.dragging;
    };
    stage.addEventListener("pointerup", end);
    stage.addEventListener("pointercancel", end);
    stage.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom(e.deltaY < 0 ? view.ZOOM_STEP : 1 / view.ZOOM_STEP);
    }, { passive: false });
    stage.addEventListener("dblclick", () => {
      if (this.inking()) return;
      if (this.store.get().viewer?.zoom === null) this.actualSize();
      else this.fit();
    });
  }

  /** Keyboard shortcuts while the viewer is open (not while typing a reason). */
  _key(e) {
    if (!this.store.get().viewer || e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target instanceof HTMLElement && e.target.closest("input, textarea, select");
    if (typing) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    const actions = {
      Escape: () => this.closeViewer(),
      "+": () => this.zoom(view.ZOOM_STEP),
      "=": () => this.zoom(view.ZOOM_STEP),
      "-": () => this.zoom(1 / view.ZOOM_STEP),
      0: () => this.fit(),
      1: () => this.actualSize(),
      r: () => this.rotate(),
      R: () => this.rotate(),
      ArrowLeft: () => this.pan(view.PAN_STEP, 0),
      ArrowRight: () => this.pan(-view.PAN_STEP, 0),
      ArrowUp: () => this.pan(0, view.PAN_STEP),
      ArrowDown: () => this.pan(0, -view.PAN_STEP),
      PageUp: () => this.step(-1),
      PageDown: () => this.step(1),
    };
    const act = actions[e.key];
    if (!act) return;
    e.preventDefault();
    act();
  }

  _view(fn) {
    this.update((d) => {
      if (!d.viewer) return;
      const doc = d.docs && d.docs.items.find((x) => x.documentId === d.viewer.documentId);
      d.viewer = fn(d.viewer, viewerScale(d.viewer, doc));
    });
  }

  _doc(documentId) {
    const current = this.store.get().docs;
    return current ? current.items.find((x) => x.documentId === documentId) || null : null;
  }
}
