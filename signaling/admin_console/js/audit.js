// Audit log: newest first, filtered by category, paged backwards; the hash chain
// verified on demand (xiaowu-admin audit verify does the same from the shell).

import { api } from "./api.js";
import { byId, errorText, h, localTime } from "./html.js";
import { t } from "./i18n.js";

const PAGE = 50;
let rows = [];
let exhausted = false;
let nameOf = (id) => id;

/** "admin:usr_…" → "管理员 (admin:usr_…)" when the id is known; the id stays visible. */
function who(ref) {
  if (!ref) return "";
  const id = ref.includes(":") ? ref.slice(ref.indexOf(":") + 1) : ref;
  const name = nameOf(id);
  return name && name !== id ? h("span", {}, name, h("span", { class: "sub" }, ref)) : ref;
}

function detail(value) {
  const text = JSON.stringify(value);
  return text === "{}" ? "" : text;
}

function draw() {
  const body = byId("audit-rows");
  body.replaceChildren(...(rows.length ? rows.map((r) => h("tr", { "data-seq": r.seq },
    h("td", { class: "num" }, String(r.seq)),
    h("td", {}, localTime(r.at)),
    h("td", {}, who(r.actor)),
    h("td", {}, h("code", {}, r.action)),
    h("td", {}, who(r.target)),
    h("td", { class: "detail" }, detail(r.detail)),
  )) : [h("tr", { class: "empty-row" }, h("td", { colspan: 6 }, t("audit.empty")))]));
  byId("audit-older").hidden = exhausted;
}

export async function loadAudit({ more = false } = {}) {
  const action = byId("audit-filter").value;
  const before = more && rows.length ? rows[rows.length - 1].seq : null;
  const page = (await api.audit({ before, action, limit: PAGE })).rows;
  rows = more ? rows.concat(page) : page;
  exhausted = page.length < PAGE;
  draw();
}

export function initAudit(notify, names) {
  nameOf = names;
  const fail = (err) => notify(errorText(err), "error");
  byId("audit-filter").addEventListener("change", () => loadAudit().catch(fail));
  byId("audit-older").addEventListener("click", () => loadAudit({ more: true }).catch(fail));
  byId("audit-verify").addEventListener("click", async () => {
    const verdict = byId("audit-verdict");
    verdict.hidden = false;
    verdict.className = "verdict";
    verdict.textContent = t("audit.verifying");
    try {
      const v = await api.verifyAudit();
      verdict.className = v.ok ? "verdict ok" : "verdict broken";
      verdict.textContent = v.ok ? t("audit.ok", { rows: v.rows })
        : t("audit.broken", { seq: v.first_broken_seq, reason: v.reason });
    } catch (err) {
      verdict.className = "verdict broken";
      verdict.textContent = errorText(err);
    }
  });
}
