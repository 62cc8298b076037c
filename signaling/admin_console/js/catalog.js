// Service catalog: departments with their services and materials lists (一次告知).
// Edits go live at once: the hub bumps the catalog revision and booths reload it.

import { api } from "./api.js";
import { confirmAction } from "./dialog.js";
import { byId, errorText, h } from "./html.js";
import { currentLang, t } from "./i18n.js";

const COPIES = /\s*[×xX*]\s*(\d{1,2})\s*(份)?$/;
let editing = null; // service id being edited, or `new:<dept>`

function label(item) {
  return currentLang() === "en" && item.name_en ? item.name_en : item.name;
}

function materialLine(m) {
  return m.copies ? `${m.name} × ${m.copies}` : m.name;
}

/** Lines back to materials; English names and notes of unchanged items are kept. */
export function parseMaterials(text, previous = []) {
  const known = new Map(previous.map((m) => [m.name, m]));
  return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const match = line.match(COPIES);
    const name = match ? line.slice(0, match.index).trim() : line;
    const old = known.get(name) || {};
    const out = { name };
    if (old.name_en) out.name_en = old.name_en;
    if (old.note) out.note = old.note;
    if (match) out.copies = Number(match[1]);
    return out;
  });
}

export function renderCatalog(departments, refresh, notify) {
  byId("catalog-list").replaceChildren(...departments.map((d) => h("div", { class: "card dept", "data-dept": d.id },
    h("div", { class: "dept-head" },
      h("span", { class: "prefix" }, d.ticket_prefix),
      h("h2", {}, label(d)),
      h("span", { class: "muted" }, t("catalog.services", { n: d.services.length })),
      h("span", { class: "spacer" }),
      h("button", { class: "btn btn-secondary btn-small", type: "button", "data-action": "add-service",
        onclick: () => { editing = `new:${d.id}`; refresh(); } }, t("catalog.add_service"))),
    editing === `new:${d.id}` ? serviceForm(d, null, refresh, notify) : null,
    ...d.services.map((s) => (editing === s.id ? serviceForm(d, s, refresh, notify) : service(s, refresh))),
  )));
}

function service(s, refresh) {
  return h("div", { class: "service", "data-service": s.id },
    h("div", { class: "service-head" },
      h("strong", {}, label(s)), h("span", { class: "id" }, s.id), h("span", { class: "spacer" }),
      h("button", { class: "btn-text", type: "button", "data-action": "edit",
        onclick: () => { editing = s.id; refresh(); } }, t("common.edit")),
      h("button", { class: "btn-text danger", type: "button", "data-action": "withdraw",
        onclick: () => confirmAction({
          title: t("catalog.withdraw_title", { name: s.name }), body: t("catalog.withdraw_body"),
          ok: t("catalog.withdraw"), action: () => api.withdrawService(s.id),
        }).then((done) => done && refresh()) }, t("catalog.withdraw"))),
    s.description ? h("span", { class: "muted" }, s.description) : null,
    s.materials.length
      ? h("ol", { class: "materials" }, ...s.materials.map((m) => h("li", {}, materialLine(m))))
      : h("span", { class: "muted" }, t("catalog.no_materials")));
}

function serviceForm(dept, s, refresh, notify) {
  const field = (key, value, props = {}) => h("label", {}, h("span", {}, t(key)),
    h(props.multiline ? "textarea" : "input", { name: key.split(".")[1], value: props.multiline ? null : value ?? "",
      maxlength: props.max || 100 }, props.multiline ? value ?? "" : null));
  const idField = s ? null : field("catalog.s_id", `${dept.id}.`, { max: 64 });
  const form = h("form", { class: "service-form", "data-editing": s ? s.id : "new", novalidate: true },
    idField,
    h("div", { class: "pair" }, field("catalog.s_name", s?.name), field("catalog.s_name_en", s?.name_en)),
    field("catalog.s_description", s?.description, { multiline: true, max: 2000 }),
    field("catalog.s_materials", s ? s.materials.map(materialLine).join("\n") : "", { multiline: true, max: 5000 }),
    h("p", { class: "form-error", role: "alert", hidden: true }),
    h("div", { class: "form-actions" },
      h("button", { class: "btn btn-primary", type: "submit" }, t("common.save")),
      h("button", { class: "btn btn-secondary", type: "button",
        onclick: () => { editing = null; refresh(); } }, t("common.cancel"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const get = (name) => form.querySelector(`[name=${name}]`).value.trim();
    const error = (msg) => {
      const box = form.querySelector(".form-error");
      box.textContent = msg;
      box.hidden = false;
    };
    const id = s ? s.id : get("s_id");
    if (!s && !new RegExp(`^${dept.id.replace(/[.]/g, "\\.")}\\.[A-Za-z0-9_.-]+$`).test(id)) {
      return error(t("catalog.err.id", { dept: dept.id }));
    }
    const name = get("s_name");
    if (!name) return error(t("catalog.err.name"));
    const body = {
      department_id: dept.id, name, description: get("s_description"),
      materials: parseMaterials(get("s_materials"), s ? s.materials : []),
      sort_order: s ? s.sort_order : (dept.services.length + 1) * 10,
    };
    const nameEn = get("s_name_en");
    if (nameEn) body.name_en = nameEn;
    try {
      await api.putService(id, body);
      editing = null;
      notify(t("catalog.saved", { name }), "ok");
      refresh();
    } catch (err) {
      error(errorText(err));
    }
    return undefined;
  });
  return form;
}

export function isEditing() { return editing !== null; }
