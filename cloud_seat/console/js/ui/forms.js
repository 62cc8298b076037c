// Draw the sidebar's tabs in a call and two of them: forms (choose a template, fill
// the agent's fields, push; the resident's values live, sensitive ones masked until
// signed; the signed values, signature and sha256) and guidance (a materials
// checklist or a short text for the booth's screen).

import { formProgress, materialsOf, missingAgentFields } from "../assist.js";
import { timeOfDay } from "../format.js";
import { $, el, renderList, setAttr, setDisabled, setText, show } from "./dom.js";

const TABS = ["docs", "forms", "guide"];

function label(l, lang) {
  if (!l) return "";
  return lang === "en" && l.en ? l.en : l.zh;
}

export function renderSideTabs(state) {
  const inCall = Boolean(state.call && state.assist);
  show($("side-tabs"), inCall);
  const tab = TABS.includes(state.sideTab) ? state.sideTab : "docs";
  for (const name of TABS) {
    show($(`panel-${name}`), !inCall ? name === "docs" : name === tab);
  }
  for (const btn of $("side-tabs").children) setAttr(btn, "aria-selected", btn.dataset.tab === tab);
  const open = inCall ? state.assist.forms.filter((f) => f.state === "pushed").length : 0;
  const badge = $("tab-forms-badge");
  show(badge, open > 0);
  setText(badge, open || "");
}

export function renderForms(state, t) {
  const { assist, lang, formTemplates, call } = state;
  if (!assist) {
    renderList($("form-list"), "", () => []);
    return;
  }
  // choosing a template: the ones for this call's service first
  const select = $("form-template");
  const sorted = [...formTemplates].sort((a, b) => Number(b.services.includes(call.serviceId))
    - Number(a.services.includes(call.serviceId)));
  renderList(select, `${lang}|${call.serviceId}|${sorted.map((x) => x.file).join(",")}`, () => [
    el("option", { value: "", text: t("forms.choose") }),
    ...sorted.map((x) => el("option", { value: x.file,
      text: (x.services.includes(call.serviceId) ? "★ " : "") + label(x.name, lang) })),
  ]);
  const chosen = assist.draft ? assist.draft.templateFile : "";
  if (select.value !== chosen && document.activeElement !== select) select.value = chosen;

  const draft = assist.draft;
  show($("form-draft"), Boolean(draft));
  if (draft) renderDraft(draft, lang, t);

  show($("forms-empty"), assist.forms.length === 0 && !draft);
  const forms = [...assist.forms].reverse(); // newest first
  const key = `${lang}|${JSON.stringify(forms.map((f) => [f.formId, f.state, f.values, f.masked,
    state.images[f.submitted?.signatureUrl]?.src || null]))}`;
  renderList($("form-list"), key, () => forms.map((f) => formItem(f, state, t)));
}

function renderDraft(draft, lang, t) {
  const fields = draft.definition.fields;
  const mine = fields.filter((f) => f.readonly);
  const box = $("form-agent-fields");
  renderList(box, `${lang}|${draft.templateFile}`, () => mine.map((f) => el("label", { className: "field-inline" },
    el("span", { text: `${label(f.label, lang)} *` }),
    el("input", { "data-field": f.id, "data-testid": `agent-field-${f.id}`, maxlength: f.max_length || 100 }))));
  for (const input of box.querySelectorAll("input[data-field]")) {
    const value = draft.agent[input.dataset.field] ?? "";
    if (document.activeElement !== input && input.value !== String(value)) input.value = String(value);
  }
  const theirs = fields.filter((f) => !f.readonly).map((f) => label(f.label, lang) + (f.sensitive ? "🔒" : ""));
  setText($("form-resident-fields"), t("forms.resident_fields", { fields: theirs.join("、") }));
  const missing = missingAgentFields(draft.definition, draft.agent);
  const push = $("btn-form-push");
  setDisabled(push, draft.busy || missing.length > 0);
  setText(push, t(draft.busy ? "forms.pushing" : "forms.push"));
}

function shown(f, value, lang, t) {
  if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) {
    return null;
  }
  if (f.type === "checkbox") return value === true ? t("forms.checked") : t("forms.unchecked");
  if ((f.type === "choice" || f.type === "multi_choice") && f.options) {
    const names = (Array.isArray(value) ? value : [value])
      .map((v) => label(f.options.find((o) => o.value === v)?.label, lang) || v);
    return names.join("、");
  }
  return String(value);
}

function formItem(form, state, t) {
  const { lang, images } = state;
  const [filled, of] = formProgress(form);
  const masked = new Set(form.masked);
  const rows = form.definition.fields.map((f) => {
    const text = shown(f, form.values[f.id], lang, t);
    return el("tr", { "data-field": f.id, "data-masked": String(masked.has(f.id)), "data-empty": String(text === null) },
      el("th", { text: label(f.label, lang) + (f.required ? " *" : "") }),
      el("td", {},
        el("span", { className: "form-value", text: text ?? t("forms.value.empty") }),
        masked.has(f.id) ? el("span", { className: "form-flag", text: t("forms.masked") }) : null,
        f.readonly ? el("span", { className: "form-flag", text: t("forms.by_agent") }) : null));
  });
  const head = el("div", { className: "form-head" },
    el("strong", { text: label(form.title, lang) }),
    el("span", { className: "form-state", "data-state": form.state, text: t(`forms.state.${form.state}`) }));
  const parts = [head];
  if (form.state === "pushed") {
    parts.push(el("div", { className: "form-progress" },
      el("span", { text: t("forms.progress", { filled, of }) }),
      el("span", { className: "form-bar" }, el("span", { style: `width:${of ? (100 * filled) / of : 0}%` }))));
  }
  parts.push(el("table", { className: "form-values" }, el("tbody", {}, ...rows)));
  if (form.submitted) {
    const sig = images[form.submitted.signatureUrl];
    const src = sig && sig.state === "ready" ? sig.src : null;
    parts.push(el("div", { className: "form-signed" },
      el("span", { className: "card-label", text: t("forms.signature") }),
      src ? el("img", { className: "form-signature", "data-testid": "form-signature", src, alt: t("forms.signature") })
        : el("span", { className: "muted", text: t(sig && sig.state === "error" ? "docs.image_error" : "docs.loading") }),
      el("dl", { className: "form-hash" },
        el("dt", { text: "SHA-256" }),
        el("dd", { "data-testid": "form-sha256", title: form.submitted.sha256, text: form.submitted.sha256 }),
        el("dt", { text: t("forms.signed_at") }),
        el("dd", { text: timeOfDay(form.submitted.submittedAt * 1000, true) }))));
  }
  return el("li", { className: "form-item", "data-form-id": form.formId, "data-state": form.state }, ...parts);
}

export function renderGuide(state, t) {
  const { assist, call, catalog, lang, docs } = state;
  if (!assist) return;
  const g = assist.guide;
  for (const btn of $("guide-kinds").children) setAttr(btn, "aria-pressed", btn.dataset.kind === g.kind);
  const title = $("guide-title");
  if (document.activeElement !== title && title.value !== g.title) title.value = g.title;
  title.placeholder = t(g.kind === "checklist" ? "guide.heading.checklist" : "guide.heading.text");
  show($("guide-checklist"), g.kind === "checklist");
  show($("guide-text"), g.kind === "text");
  const text = $("guide-text");
  if (document.activeElement !== text && text.value !== g.text) text.value = g.text;
  const items = g.items ?? materialsOf(catalog, call.serviceId, lang);
  renderList($("guide-items"), `${lang}|${JSON.stringify(items)}`, () => items.map((it, i) => el("li", {},
    el("label", {},
      el("input", { type: "checkbox", "data-index": i, checked: it.done }),
      el("span", { text: it.text })),
    el("button", { type: "button", className: "btn btn-link", "data-remove": i, title: t("guide.item.remove"),
      "aria-label": t("guide.item.remove"), text: "×" }))));
  show($("btn-guide-reset"), g.items !== null);
  const select = $("guide-document");
  const pictures = docs ? docs.items.filter((d) => !d.deleted) : [];
  renderList(select, `${lang}|${pictures.map((d) => d.documentId).join(",")}`, () => [
    el("option", { value: "", text: t("guide.picture.none") }),
    ...pictures.map((d) => el("option", { value: d.documentId,
      text: `${t(`docs.kind.${d.kind}`)} · ${t("docs.nth", { n: docs.items.indexOf(d) + 1 })}` })),
  ]);
  if (select.value !== g.documentId) select.value = g.documentId;
  const empty = g.kind === "checklist" ? items.every((i) => !i.text.trim()) : !g.text.trim();
  setDisabled($("btn-guide-send"), g.busy || empty);
  setText($("guide-sent"), g.sentAt ? t("guide.sent_at", { time: timeOfDay(g.sentAt, true) }) : "");
}
