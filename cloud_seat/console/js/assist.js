// Remote assist in the current call (docs/protocol.md `assist.*`): pure state changes.
// Each function takes the store's draft and changes only the draft; requests, the
// pointer and the media are assistdesk.js's and call.js's business.
//
// state.assist = null outside a call, else
//   { callId,
//     consent: { screen: Scope, control: Scope }   Scope = {state, at, busy}
//        state: "none" | "asked" | "granted" | "denied" (refused when asked) |
//               "revoked" (granted, then stopped by the resident) | "off" (not granted)
//     view: "camera" | "screen"        what the stage shows large
//     autoScreen: bool                  the screen view was opened for this grant already
//     tool: "pointer" | "pen" | "arrow" | "box" | "text",  color: one of COLORS
//     control: bool                     the "代操作" toggle (only while granted)
//     taps: [{x, y, at}]                the agent's recent taps, shown as ripples
//     board: annotations board          the call's drawings, per surface
//     docInk: bool                      drawing on the open document instead of panning it
//     forms: [Form]                     newest last
//     draft: {templateFile, definition, agent: {field_id: value}, busy, error} | null
//     guide: {kind, title, items: [{text, done}], text, documentId, busy, sentAt, newItem} }
//   Form = {formId, title, template, definition, values, masked: [], state, pushedAt,
//           submitted: null | {values, sha256, signatureSha256, signatureUrl, submittedAt}}

import { emptyBoard } from "./annotations.js";

export const SCOPES = ["screen", "control"];
export const TOOLS = ["pointer", "pen", "arrow", "box", "text"];
export const MAX_GUIDE_ITEMS = 30;
export const MAX_GUIDE_TEXT = 1000;
export const MAX_ITEM_TEXT = 200;
export const MAX_TITLE = 100;

function scope() {
  return { state: "none", at: null, busy: false };
}

export function emptyAssist(callId) {
  return {
    callId,
    consent: { screen: scope(), control: scope() },
    view: "camera",
    autoScreen: false,
    tool: "pointer",
    color: "red",
    control: false,
    taps: [],
    board: emptyBoard(),
    docInk: false,
    pending: null, // the shape being drawn (not sent yet): {surface, kind, points, ...}
    textAt: null, // where the text box for a `text` shape is open: {left, top} in the stage
    pointerSent: null, // the last pointer sent: {surface, x, y, visible, at (ms)}
    forms: [],
    draft: null,
    guide: { kind: "checklist", title: "", items: null, text: "", documentId: "", busy: false,
      sentAt: null, newItem: "" },
  };
}

function forCall(draft, callId) {
  return draft.assist && draft.assist.callId === callId ? draft.assist : null;
}

export function granted(assist, name) {
  return Boolean(assist) && assist.consent[name].state === "granted";
}

function setScope(draft, name, fields) {
  const a = draft.assist;
  draft.assist = { ...a, consent: { ...a.consent, [name]: { ...a.consent[name], ...fields } } };
}

/** Our `assist.consent.request` is on its way (`busy`) or answered (`asked`). */
export function onAsking(draft, name, busy) {
  if (!draft.assist) return draft;
  const cur = draft.assist.consent[name];
  setScope(draft, name, busy ? { busy: true }
    : { busy: false, state: cur.state === "granted" ? "granted" : "asked" });
  return draft;
}

/** `assist.consent`: the resident's decision (also pushed after a reconnect). */
export function onConsent(draft, data) {
  const a = forCall(draft, data.call_id);
  if (!a || !SCOPES.includes(data.scope)) return draft;
  const before = a.consent[data.scope].state;
  let state;
  if (data.granted) state = "granted";
  else if (before === "granted") state = "revoked";
  else if (before === "asked") state = "denied";
  else state = before === "none" ? "off" : before;
  setScope(draft, data.scope, { state, at: data.at ?? null, busy: false });
  const next = draft.assist;
  if (data.scope === "control" && !data.granted && next.control) {
    draft.assist = { ...next, control: false }; // revoked: the toggle goes off at once
  }
  if (data.scope === "screen") {
    if (data.granted) draft.assist = { ...draft.assist, autoScreen: false };
    else draft.assist = { ...draft.assist, view: "camera", control: false, autoScreen: false };
  }
  return draft;
}

/** The booth's screen is shown when the resident grants it and its track arrives. */
export function screenAvailable(assist, call) {
  return granted(assist, "screen") && Boolean(call && call.screenStream);
}

/** Open the screen view by itself the first time it becomes available after a grant. */
export function autoOpenScreen(draft) {
  const a = draft.assist;
  if (a && !a.autoScreen && screenAvailable(a, draft.call)) {
    draft.assist = { ...a, view: "screen", autoScreen: true };
  }
  return draft;
}

export function setView(draft, view) {
  if (!draft.assist) return draft;
  const v = view === "screen" && screenAvailable(draft.assist, draft.call) ? "screen" : "camera";
  draft.assist = { ...draft.assist, view: v, control: v === "screen" ? draft.assist.control : false };
  return draft;
}

export function setTool(draft, tool) {
  if (draft.assist && TOOLS.includes(tool)) draft.assist = { ...draft.assist, tool, control: false };
  return draft;
}

export function setColor(draft, color) {
  if (draft.assist) draft.assist = { ...draft.assist, color };
  return draft;
}

/** The "代操作" toggle: only while the resident's control consent stands. */
export function setControl(draft, on) {
  const a = draft.assist;
  if (!a) return draft;
  draft.assist = { ...a, control: Boolean(on) && granted(a, "control") };
  return draft;
}

export function addTap(draft, tap, now) {
  const a = draft.assist;
  if (!a) return draft;
  draft.assist = { ...a, taps: [...a.taps.filter((t) => now - t.at < 1500), { ...tap, at: now }] };
  return draft;
}

// ---------------------------------------------------------------- forms

/** Values put into `{name}` placeholders of a template's readonly fields. */
export function placeholders(call, auth, now = Date.now()) {
  const d = new Date(now);
  const pad = (n) => String(n).padStart(2, "0");
  return {
    service: (call && call.service) || "",
    department: (call && call.department) || "",
    booth: (call && call.booth) || "",
    ticket: (call && call.number) || "",
    agent: (auth && auth.name) || "",
    date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
  };
}

export function fillText(text, values) {
  return String(text).replace(/\{(\w+)\}/g, (m, name) => (name in values ? values[name] : m));
}

/** The agent's fields of a template (readonly: the agent fills them), with their starting values. */
export function agentFields(definition, values) {
  const out = {};
  for (const f of definition.fields) {
    if (f.readonly) out[f.id] = typeof f.value === "string" ? fillText(f.value, values) : f.value;
  }
  return out;
}

/** The definition to push: the template with the agent's values in its readonly fields. */
export function buildForm(definition, agent) {
  return {
    ...definition,
    fields: definition.fields.map((f) => {
      if (!f.readonly) return f;
      let value = agent[f.id];
      if (f.type === "number" && typeof value === "string" && value.trim() !== "") value = Number(value);
      return { ...f, value: typeof value === "string" ? value.trim() : value };
    }),
  };
}

/** Readonly fields still empty (the hub refuses a readonly field without a value). */
export function missingAgentFields(definition, agent) {
  return definition.fields.filter((f) => f.readonly && (agent[f.id] === undefined
    || agent[f.id] === null || String(agent[f.id]).trim() === "")).map((f) => f.id);
}

export function startDraft(draft, templateFile, definition, agent) {
  if (!draft.assist) return draft;
  draft.assist = { ...draft.assist, draft: { templateFile, definition, agent, busy: false, error: null } };
  return draft;
}

export function setAgentValue(draft, fieldId, value) {
  const a = draft.assist;
  if (!a || !a.draft) return draft;
  draft.assist = { ...a, draft: { ...a.draft, agent: { ...a.draft.agent, [fieldId]: value } } };
  return draft;
}

function formOf(a, formId) {
  return a.forms.find((f) => f.formId === formId) || null;
}

function withForm(draft, formId, fields) {
  const a = draft.assist;
  draft.assist = { ...a, forms: a.forms.map((f) => (f.formId === formId ? { ...f, ...fields } : f)) };
}

function readonlyValues(definition) {
  const values = {};
  for (const f of definition.fields) if (f.readonly) values[f.id] = f.value;
  return values;
}

/** The reply to our `assist.form.push`. */
export function onPushed(draft, data, definition, now) {
  const a = forCall(draft, data.call_id);
  if (!a || formOf(a, data.form_id)) return draft;
  draft.assist = {
    ...a,
    draft: null,
    forms: [...a.forms, {
      formId: data.form_id, title: definition.title, template: definition.template ?? null, definition,
      values: readonlyValues(definition), masked: [], state: "pushed", pushedAt: now, submitted: null,
    }],
  };
  return draft;
}

/** `assist.form.progress`: what the resident entered so far (sensitive values arrive masked). */
export function onProgress(draft, data) {
  const a = forCall(draft, data.call_id);
  const form = a && formOf(a, data.form_id);
  if (!form || form.state !== "pushed") return draft;
  const masked = new Set(form.masked);
  for (const key of Object.keys(data.values || {})) masked.delete(key);
  for (const key of data.masked || []) masked.add(key);
  withForm(draft, data.form_id, { values: { ...form.values, ...data.values }, masked: [...masked] });
  return draft;
}

/** `assist.form.submitted`: the signed form, every value unmasked. */
export function onSubmitted(draft, data) {
  const a = forCall(draft, data.call_id);
  const form = a && formOf(a, data.form_id);
  if (!form) return draft;
  withForm(draft, data.form_id, {
    state: "submitted", values: { ...data.values }, masked: [],
    submitted: {
      values: data.values, sha256: data.sha256, signatureSha256: data.signature_sha256,
      signatureUrl: data.signature_url, submittedAt: data.submitted_at,
    },
  });
  return draft;
}

/**
 * `GET /api/calls/{call_id}/forms` + `GET /api/forms/{id}` after a reload: the forms
 * of the call (progress typed before the reload is not kept by the hub).
 */
export function onFormsListed(draft, callId, forms) {
  const a = forCall(draft, callId);
  if (!a) return draft;
  const known = new Set(a.forms.map((f) => f.formId));
  const listed = forms.filter((f) => !known.has(f.form_id) && f.form).map((f) => ({
    formId: f.form_id, title: f.form.title, template: f.form.template ?? null, definition: f.form,
    values: f.values ? { ...f.values } : readonlyValues(f.form), masked: [], state: f.state,
    pushedAt: (f.created_at || 0) * 1000,
    submitted: f.state === "submitted" ? {
      values: f.values, sha256: f.sha256, signatureSha256: f.signature_sha256,
      signatureUrl: f.signature_url, submittedAt: f.submitted_at,
    } : null,
  }));
  draft.assist = { ...a, forms: [...a.forms, ...listed].sort((x, y) => x.pushedAt - y.pushedAt) };
  return draft;
}

/** How far the resident is: [filled, of] over the fields the resident fills. */
export function formProgress(form) {
  const mine = form.definition.fields.filter((f) => !f.readonly);
  const filled = mine.filter((f) => {
    const v = form.values[f.id];
    return !(v === undefined || v === null || v === "" || v === false
      || (Array.isArray(v) && v.length === 0));
  });
  return [filled.length, mine.length];
}

// ---------------------------------------------------------------- guidance

/** The checklist of the call's service, from the catalog (一次告知: every material named). */
export function materialsOf(catalog, serviceId, lang) {
  for (const dept of catalog || []) {
    for (const svc of dept.services || []) {
      if (svc.id !== serviceId) continue;
      return (svc.materials || []).map((m) => {
        const name = lang === "en" && m.name_en ? m.name_en : m.name;
        const copies = m.copies ? (lang === "en" ? ` ×${m.copies}` : `（${m.copies}份）`) : "";
        return { text: `${name}${copies}`.slice(0, MAX_ITEM_TEXT), done: false };
      });
    }
  }
  return [];
}

export function setGuide(draft, fields) {
  const a = draft.assist;
  if (a) draft.assist = { ...a, guide: { ...a.guide, ...fields } };
  return draft;
}

/** The `assist.guide` body of the current guide, or null when it has nothing to show. */
export function guideBody(callId, guide, items) {
  const title = guide.title.trim().slice(0, MAX_TITLE);
  if (!title) return null;
  const body = { call_id: callId, kind: guide.kind, title };
  if (guide.kind === "checklist") {
    const list = items.map((i) => ({ text: i.text.trim().slice(0, MAX_ITEM_TEXT), done: Boolean(i.done) }))
      .filter((i) => i.text).slice(0, MAX_GUIDE_ITEMS);
    if (!list.length) return null;
    body.items = list;
  } else {
    const text = guide.text.trim().slice(0, MAX_GUIDE_TEXT);
    if (!text) return null;
    body.text = text;
  }
  if (guide.documentId) body.document_id = guide.documentId;
  return body;
}
