// Remote assist at the agent's desk (docs/protocol.md `assist.*`): consent, the
// pointer, drawings on the booth's screen and on a frozen document image, forms,
// guidance and remote control. User actions and hub events change the store
// through the pure functions of assist.js and annotations.js; ui/assist.js draws it.
//
// The pointer is an event (no reply) sent at most every POINTER_MS: the hub's frame
// budget (30 frames/s, burst 60) is shared with everything else on the connection,
// so docs/protocol.md asks for about 15 pointers a second. The first move after a
// pause goes at once; moves in between are folded into the next one, and the last
// position (or the hide) is always sent.

import * as api from "./api.js";
import * as ink from "./annotations.js";
import * as model from "./assist.js";
import { notice } from "./state.js";
import { $ } from "./ui/dom.js";
import { viewerScale } from "./ui/viewer.js";
import { clientToImage } from "./viewer.js";

export const POINTER_MS = 66;
const MIN_STEP = 0.002; // a pen point closer than this to the last one adds nothing
const MIN_SIZE = 0.004; // arrows and boxes smaller than this are slips of the mouse

const EVENTS = {
  "assist.consent": (d, data) => model.onConsent(d, data),
  "assist.form.progress": (d, data) => model.onProgress(d, data),
  "assist.form.submitted": (d, data) => model.onSubmitted(d, data),
};

export class AssistDesk {
  /**
   * @param {object} opts
   * @param {object} opts.store  the console's store
   * @param {(fn: (draft, now) => void) => void} opts.update
   * @param {(type: string, data: object) => Promise<object>} opts.request  a hub request
   * @param {(type: string, data: object) => boolean} opts.send  a hub event (no reply)
   * @param {(err: Error) => void} opts.fail
   * @param {import("./images.js").ImageStore} opts.images  the call's images (blob: URLs)
   */
  constructor({ store, update, request, send, fail, images }) {
    this.store = store;
    this.update = update;
    this.request = request;
    this.send = send;
    this.fail = fail;
    this.images = images;
    this.templates = null; // [{file, name, services}] from forms/index.json
    this.pointer = { next: null, lastAt: -Infinity, timer: null };
    this.stroke = null; // {surface, pointerId, kind, points} while drawing
    this.textAt = null; // {surface, point} while typing a text shape
    this.ids = 0;
    this.idPrefix = `c${Math.random().toString(36).slice(2, 7)}`;
    store.subscribe((state) => {
      if (!state.assist) this._reset();
      else if (!state.assist.autoScreen && model.screenAvailable(state.assist, state.call)) {
        this.update((d) => model.autoOpenScreen(d));
      }
    });
  }

  handles(type) {
    return type in EVENTS || type === "assist.board";
  }

  handle(frame) {
    const { type, data } = frame;
    if (type === "assist.board") {
      this.update((d) => {
        if (d.assist && d.assist.callId === data.call_id) {
          d.assist = { ...d.assist, board: ink.replaceSurface(d.assist.board, data.surface, data.shapes) };
        }
      });
      return;
    }
    const before = this.store.get().assist;
    this.update((d) => EVENTS[type](d, data));
    if (type === "assist.consent") this._consentNotice(before, data);
    if (type === "assist.form.submitted") this.images.want(data.signature_url);
  }

  /** `call.start` (also after a reload): the forms the hub holds for this call. */
  async callStarted(callId) {
    this.loadTemplates();
    const token = this.store.get().auth?.token;
    if (!token) return;
    let listed;
    try {
      listed = (await api.listForms(token, callId)).forms || [];
    } catch (err) {
      console.warn("forms", err);
      return;
    }
    const full = [];
    for (const f of listed) {
      if (f.state === "cancelled") continue;
      try {
        full.push({ ...f, ...(await api.getForm(token, f.form_id)) });
      } catch (err) {
        console.warn("form", f.form_id, err);
      }
    }
    this.update((d) => model.onFormsListed(d, callId, full));
    for (const f of full) if (f.signature_url) this.images.want(f.signature_url);
  }

  _consentNotice(before, data) {
    if (!before || before.callId !== data.call_id) return;
    const was = before.consent[data.scope]?.state;
    let key = null;
    if (data.granted && was !== "granted") key = `assist.notice.granted.${data.scope}`;
    else if (!data.granted && was === "granted") key = `assist.notice.revoked.${data.scope}`;
    else if (!data.granted && was === "asked") key = `assist.notice.denied.${data.scope}`;
    if (key) this.update((d) => notice(d, key, {}, data.granted ? "info" : "warn"));
  }

  _reset() {
    clearTimeout(this.pointer.timer);
    this.pointer = { next: null, lastAt: -Infinity, timer: null };
    this.stroke = null;
    this.textAt = null;
  }

  _callId() {
    const a = this.store.get().assist;
    return a ? a.callId : null;
  }

  // ------------------------------------------------------------ consent, view, control

  async askConsent(scope) {
    const a = this.store.get().assist;
    if (!a || a.consent[scope].busy) return;
    this.update((d) => model.onAsking(d, scope, true));
    try {
      await this.request("assist.consent.request", { call_id: a.callId, scope });
      this.update((d) => model.onAsking(d, scope, false));
    } catch (err) {
      this.update((d) => { if (d.assist) d.assist = { ...d.assist, consent: { ...d.assist.consent, [scope]: { ...d.assist.consent[scope], busy: false } } }; });
      this.fail(err);
    }
  }

  setView(view) {
    this.hidePointer();
    this.update((d) => model.setView(d, view));
  }

  setTool(tool) {
    this._cancelText();
    this.update((d) => model.setTool(d, tool));
  }

  setColor(color) {
    this.update((d) => model.setColor(d, color));
  }

  setControl(on) {
    this._cancelText();
    this.update((d) => model.setControl(d, on));
  }

  toggleDocInk() {
    this._cancelText();
    this.update((d) => {
      if (d.assist) d.assist = { ...d.assist, docInk: !d.assist.docInk, control: false };
    });
  }

  /** A tap on the resident's behalf (audited by the hub before the booth gets it). */
  async tap(x, y) {
    const a = this.store.get().assist;
    if (!a || !a.control || !model.granted(a, "control")) return;
    this.update((d, now) => model.addTap(d, { x, y }, now));
    try {
      await this.request("assist.control", { call_id: a.callId, action: "tap", x: ink.round4(x), y: ink.round4(y) });
    } catch (err) {
      this.update((d) => model.setControl(d, false));
      this.fail(err);
    }
  }

  // ------------------------------------------------------------ pointer

  /** The mouse is at (x, y) of `surface` (0..1). */
  movePointer(surface, x, y) {
    this.pointer.next = { surface, x: ink.clamp01(x), y: ink.clamp01(y), visible: true };
    this._flushPointer();
  }

  /** The mouse left the surface (or the view changed): hide the resident's pointer. */
  hidePointer() {
    const last = this.pointer.next || this.pointer.sent;
    if (!last || !last.visible) return;
    this.pointer.next = { ...last, visible: false };
    this._flushPointer();
  }

  _flushPointer() {
    const p = this.pointer;
    if (!p.next || p.timer) return;
    const wait = p.lastAt + POINTER_MS - performance.now();
    if (wait > 0) {
      p.timer = setTimeout(() => {
        p.timer = null;
        this._flushPointer();
      }, wait);
      return;
    }
    const callId = this._callId();
    const next = p.next;
    p.next = null;
    if (!callId) return;
    p.lastAt = performance.now();
    const at = Date.now();
    if (this.send("assist.pointer", { call_id: callId, surface: next.surface, x: next.x, y: next.y,
      visible: next.visible })) {
      p.sent = next;
      this.update((d) => { if (d.assist) d.assist = { ...d.assist, pointerSent: { ...next, at } }; });
    }
  }

  // ------------------------------------------------------------ drawing

  _newId() {
    this.ids += 1;
    return `${this.idPrefix}-${this.ids}`;
  }

  /** A press on `surface` at `pt` ([x, y], 0..1) with the current tool. */
  beginStroke(surface, pointerId, pt) {
    const a = this.store.get().assist;
    if (!a || a.control) return false;
    if (a.tool === "text") {
      this.textAt = { surface, point: pt };
      return false;
    }
    if (a.tool === "pointer") return false;
    this.stroke = { surface, pointerId, kind: a.tool, points: [pt, pt] };
    if (a.tool === "pen") this.stroke.points = [pt];
    this._pending();
    return true;
  }

  moveStroke(pointerId, pt) {
    const s = this.stroke;
    if (!s || s.pointerId !== pointerId) return;
    if (s.kind === "pen") {
      const last = s.points[s.points.length - 1];
      if (Math.hypot(pt[0] - last[0], pt[1] - last[1]) < MIN_STEP) return;
      s.points = [...s.points, pt];
    } else {
      s.points = [s.points[0], pt];
    }
    this._pending();
  }

  endStroke(pointerId) {
    const s = this.stroke;
    if (!s || s.pointerId !== pointerId) return;
    this.stroke = null;
    this._pending();
    const [p0, p1] = [s.points[0], s.points[s.points.length - 1]];
    if (s.kind !== "pen" && Math.hypot(p1[0] - p0[0], p1[1] - p0[1]) < MIN_SIZE) return;
    const a = this.store.get().assist;
    const shape = { id: this._newId(), kind: s.kind, color: a.color, width: s.kind === "pen" ? 5 : 6,
      points: s.kind === "pen" ? ink.thinPoints(s.points) : [p0, p1] };
    if (s.kind === "box") shape.fill = true;
    this.annotate(s.surface, "add", shape);
  }

  cancelStroke() {
    if (!this.stroke) return;
    this.stroke = null;
    this._pending();
  }

  _pending() {
    const s = this.stroke;
    const a = this.store.get().assist;
    const pending = s && a ? { id: "pending", kind: s.kind, color: a.color, width: s.kind === "pen" ? 5 : 6,
      points: s.points, text: null, fill: s.kind === "box", surface: s.surface } : null;
    this.update((d) => { if (d.assist) d.assist = { ...d.assist, pending }; });
  }

  /** The text typed for a `text` shape (Enter), or cancelled (Escape / empty). */
  commitText(text) {
    const at = this.textAt;
    this.textAt = null;
    const value = (text || "").trim().slice(0, ink.MAX_TEXT);
    this.update((d) => { if (d.assist) d.assist = { ...d.assist, textAt: null }; });
    if (!at || !value) return;
    const a = this.store.get().assist;
    this.annotate(at.surface, "add", { id: this._newId(), kind: "text", color: a.color, width: 4,
      points: [at.point], text: value });
  }

  _cancelText() {
    if (!this.textAt) return;
    this.textAt = null;
    this.update((d) => { if (d.assist) d.assist = { ...d.assist, textAt: null }; });
  }

  /**
   * One drawing operation: applied here at once (the agent sees it without waiting),
   * then sent; if the hub refuses it, the surface is read back from the hub.
   */
  async annotate(surface, op, shape = null) {
    const a = this.store.get().assist;
    if (!a) return;
    let board;
    try {
      board = ink.applyOp(a.board, { surface, op, shape });
    } catch (err) {
      this.update((d) => notice(d, err.code === "too_large" ? "assist.ink.too_large" : "assist.ink.refused", {}, "warn"));
      return;
    }
    this.update((d) => { if (d.assist && d.assist.callId === a.callId) d.assist = { ...d.assist, board }; });
    const body = { call_id: a.callId, surface, op };
    if (shape) body.shape = ink.checkShape(shape);
    try {
      await this.request("assist.annotate", body);
    } catch (err) {
      this.fail(err);
      this.refreshBoard(surface);
    }
  }

  async refreshBoard(surface) {
    const callId = this._callId();
    if (!callId) return;
    try {
      const reply = await this.request("assist.board.get", { call_id: callId, surface });
      this.handle({ type: "assist.board", data: reply.data });
    } catch (err) {
      console.warn("board", err);
    }
  }

  /** The surface the tools work on: the open document in drawing mode, else the screen. */
  activeSurface() {
    const { assist, viewer } = this.store.get();
    return assist && assist.docInk && viewer ? `document:${viewer.documentId}` : "screen";
  }

  undo() {
    this.annotate(this.activeSurface(), "undo");
  }

  clear() {
    this.annotate(this.activeSurface(), "clear");
  }

  // ------------------------------------------------------------ forms

  async loadTemplates() {
    if (this.templates) return this.templates;
    try {
      const index = await api.staticJson("./forms/index.json");
      this.templates = Array.isArray(index.templates) ? index.templates : [];
    } catch (err) {
      console.warn("form templates", err);
      this.templates = [];
    }
    this.update((d) => { d.formTemplates = this.templates; });
    return this.templates;
  }

  async chooseTemplate(file) {
    if (!file) {
      this.update((d) => { if (d.assist) d.assist = { ...d.assist, draft: null }; });
      return;
    }
    let definition;
    try {
      definition = await api.staticJson(`./forms/${encodeURIComponent(file)}`);
    } catch (err) {
      this.fail(err);
      return;
    }
    const { call, auth } = this.store.get();
    const agent = model.agentFields(definition, model.placeholders(call, auth));
    this.update((d) => model.startDraft(d, file, definition, agent));
  }

  setAgentValue(fieldId, value) {
    this.update((d) => model.setAgentValue(d, fieldId, value));
  }

  async pushForm() {
    const a = this.store.get().assist;
    const draft = a && a.draft;
    if (!draft || draft.busy || model.missingAgentFields(draft.definition, draft.agent).length) return;
    const form = model.buildForm(draft.definition, draft.agent);
    this.update((d) => { if (d.assist?.draft) d.assist = { ...d.assist, draft: { ...d.assist.draft, busy: true } }; });
    try {
      const reply = await this.request("assist.form.push", { call_id: a.callId, form });
      this.update((d, now) => {
        model.onPushed(d, reply.data, form, now);
        notice(d, "assist.form.pushed");
      });
    } catch (err) {
      this.update((d) => { if (d.assist?.draft) d.assist = { ...d.assist, draft: { ...d.assist.draft, busy: false } }; });
      this.fail(err);
    }
  }

  // ------------------------------------------------------------ guidance

  guideItems() {
    const { assist, call, catalog, lang } = this.store.get();
    if (!assist) return [];
    return assist.guide.items ?? model.materialsOf(catalog, call?.serviceId, lang);
  }

  editGuide(fields) {
    this.update((d) => model.setGuide(d, fields));
  }

  editItems(fn) {
    const items = fn(this.guideItems().map((i) => ({ ...i })));
    this.update((d) => model.setGuide(d, { items }));
  }

  async sendGuide() {
    const { assist, lang } = this.store.get();
    if (!assist || assist.guide.busy) return;
    const guide = { ...assist.guide };
    if (!guide.title.trim()) guide.title = this._defaultGuideTitle(guide.kind, lang);
    const body = model.guideBody(assist.callId, guide, this.guideItems());
    if (!body) return;
    this.update((d) => model.setGuide(d, { busy: true }));
    try {
      await this.request("assist.guide", body);
      this.update((d, now) => {
        model.setGuide(d, { busy: false, sentAt: now });
        notice(d, "assist.guide.sent");
      });
    } catch (err) {
      this.update((d) => model.setGuide(d, { busy: false }));
      this.fail(err);
    }
  }

  _defaultGuideTitle(kind, lang) {
    if (lang === "en") return kind === "checklist" ? "Materials to bring" : "Next step";
    return kind === "checklist" ? "需要准备的材料" : "下一步";
  }

  // ------------------------------------------------------------ DOM

  bind() {
    $("btn-ask-screen").addEventListener("click", () => this.askConsent("screen"));
    $("btn-ask-control").addEventListener("click", () => this.askConsent("control"));
    $("view-tabs").addEventListener("click", (e) => {
      const btn = e.target.closest("button[data-view]");
      if (btn) this.setView(btn.dataset.view);
    });
    $("ink-tools").addEventListener("click", (e) => {
      const btn = e.target.closest("button");
      if (!btn) return;
      if (btn.dataset.tool) this.setTool(btn.dataset.tool);
      else if (btn.dataset.color) this.setColor(btn.dataset.color);
      else if (btn.dataset.action === "undo") this.undo();
      else if (btn.dataset.action === "clear") this.clear();
      else if (btn.dataset.action === "control") this.setControl(!this.store.get().assist?.control);
    });
    $("viewer-ink").addEventListener("click", () => this.toggleDocInk());
    this._bindSurface($("screen-frame"), () => "screen", (e) => this._screenPoint(e));
    this._bindSurface($("viewer-stage"), () => this._docSurface(), (e) => this._docPoint(e));
    const text = $("ink-text");
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.commitText(text.value);
      } else if (e.key === "Escape") {
        e.preventDefault();
        this.commitText("");
      }
      e.stopPropagation();
    });
    text.addEventListener("blur", () => { if (this.textAt) this.commitText(text.value); });

    $("form-template").addEventListener("change", (e) => this.chooseTemplate(e.target.value));
    $("form-agent-fields").addEventListener("input", (e) => {
      const input = e.target.closest("[data-field]");
      if (input) this.setAgentValue(input.dataset.field, input.value);
    });
    $("btn-form-push").addEventListener("click", () => this.pushForm());

    $("guide-kinds").addEventListener("click", (e) => {
      const btn = e.target.closest("button[data-kind]");
      if (btn) this.editGuide({ kind: btn.dataset.kind });
    });
    $("guide-title").addEventListener("input", (e) => this.editGuide({ title: e.target.value }));
    $("guide-text").addEventListener("input", (e) => this.editGuide({ text: e.target.value }));
    $("guide-document").addEventListener("change", (e) => this.editGuide({ documentId: e.target.value }));
    $("guide-items").addEventListener("change", (e) => {
      const box = e.target.closest("input[data-index]");
      if (box) this.editItems((items) => items.map((it, i) => (i === Number(box.dataset.index) ? { ...it, done: box.checked } : it)));
    });
    $("guide-items").addEventListener("click", (e) => {
      const btn = e.target.closest("button[data-remove]");
      if (btn) this.editItems((items) => items.filter((_, i) => i !== Number(btn.dataset.remove)));
    });
    const addItem = () => {
      const input = $("guide-new-item");
      const value = input.value.trim().slice(0, model.MAX_ITEM_TEXT);
      if (!value) return;
      input.value = "";
      this.editItems((items) => [...items, { text: value, done: false }].slice(0, model.MAX_GUIDE_ITEMS));
    };
    $("btn-guide-add").addEventListener("click", addItem);
    $("guide-new-item").addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        addItem();
      }
    });
    $("btn-guide-reset").addEventListener("click", () => this.editGuide({ items: null }));
    $("btn-guide-send").addEventListener("click", () => this.sendGuide());
  }

  _docSurface() {
    const { assist, viewer } = this.store.get();
    return assist && assist.docInk && viewer ? `document:${viewer.documentId}` : null;
  }

  _screenPoint(e) {
    const r = $("screen-frame").getBoundingClientRect();
    if (!r.width || !r.height) return null;
    const x = (e.clientX - r.left) / r.width;
    const y = (e.clientY - r.top) / r.height;
    return x < 0 || x > 1 || y < 0 || y > 1 ? null : [ink.clamp01(x), ink.clamp01(y)];
  }

  _docPoint(e) {
    const { viewer, docs } = this.store.get();
    const doc = viewer && docs ? docs.items.find((x) => x.documentId === viewer.documentId) : null;
    if (!doc) return null;
    const r = $("viewer-stage").getBoundingClientRect();
    const pt = clientToImage(viewer, viewerScale(viewer, doc), doc.width, doc.height,
      { left: r.left, top: r.top, width: r.width, height: r.height }, e.clientX, e.clientY);
    return pt ? [ink.clamp01(pt[0]), ink.clamp01(pt[1])] : null;
  }

  /** Pointer, drawing, text and taps on one surface element. */
  _bindSurface(el, surfaceOf, pointOf) {
    el.addEventListener("pointermove", (e) => {
      const surface = surfaceOf();
      if (!surface) return;
      const pt = pointOf(e);
      if (!pt) {
        this.hidePointer();
        return;
      }
      this.movePointer(surface, pt[0], pt[1]);
      this.moveStroke(e.pointerId, pt);
    });
    el.addEventListener("pointerleave", () => {
      if (surfaceOf()) this.hidePointer();
    });
    el.addEventListener("pointerdown", (e) => {
      const surface = surfaceOf();
      if (!surface || e.button !== 0) return;
      const pt = pointOf(e);
      if (!pt) return;
      const a = this.store.get().assist;
      if (surface === "screen" && a && a.control) {
        e.preventDefault();
        this.tap(pt[0], pt[1]);
        return;
      }
      if (this.beginStroke(surface, e.pointerId, pt)) {
        e.preventDefault();
        el.setPointerCapture(e.pointerId);
      } else if (this.textAt) {
        e.preventDefault();
        this._openText(e);
      }
    });
    const end = (e) => this.endStroke(e.pointerId);
    el.addEventListener("pointerup", end);
    el.addEventListener("pointercancel", () => this.cancelStroke());
  }

  _openText(e) {
    const wrap = $("video-wrap").getBoundingClientRect();
    const at = { left: e.clientX - wrap.left, top: e.clientY - wrap.top };
    this.update((d) => { if (d.assist) d.assist = { ...d.assist, textAt: at }; });
    requestAnimationFrame(() => {
      const input = $("ink-text");
      input.value = "";
      input.focus();
    });
  }

  /** Is the agent drawing on the open document (the viewer must not pan then)? */
  inking() {
    return Boolean(this._docSurface());
  }
}
