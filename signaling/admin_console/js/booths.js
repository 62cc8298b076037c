// Booths: the fleet table (health, what each booth is doing, devices, last seen),
// provisioning with a one-time enrollment code, re-issue and revocation.

import { api } from "./api.js";
import { confirmAction } from "./dialog.js";
import { ago, byId, duration, errorText, formError, h } from "./html.js";
import { t } from "./i18n.js";

const DEVICES = ["camera", "scanner", "mic", "speaker"];
let filter = "all";

export function problemText(code) {
  const key = `problem.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

export function activityText(activity, now = Date.now()) {
  if (activity.state === "idle") return t("activity.idle");
  let text = t(`activity.${activity.state}`,
    { number: activity.ticket_number, dept: activity.department_name });
  if (activity.since) {
    text += ` · ${t("time.since", { d: duration((now - Date.parse(activity.since)) / 1000) })}`;
  }
  if (activity.suspended) text += t("activity.suspended");
  return text;
}

function healthBadge(booth) {
  const label = booth.link === "reconnecting" ? t("link.reconnecting") : t(`health.${booth.health}`);
  return h("span", { class: `badge ${booth.health}`, "data-health": booth.health }, label);
}

function devices(status) {
  if (!status) return t("common.none");
  return h("span", { class: "devices" }, ...DEVICES.filter((d) => d in status).map((d) =>
    h("span", { class: "sub" }, `${t(`device.${d}`)}：${t(`device.${status[d]}`)}`)),
    status.version ? h("span", { class: "sub" }, `v${status.version}`) : null);
}

export function renderBooths(fleet, refresh) {
  const rows = fleet.booths.filter((b) => filter === "all" || b.health === filter);
  const body = byId("booth-rows");
  if (!rows.length) {
    body.replaceChildren(h("tr", { class: "empty-row" }, h("td", { colspan: 6 }, t("booths.empty"))));
    return;
  }
  body.replaceChildren(...rows.map((b) => h("tr", { "data-booth": b.id },
    h("td", {}, h("strong", {}, b.name),
      h("span", { class: "sub" }, [b.region_name, b.region_code].filter(Boolean).join(" · "))),
    h("td", {}, healthBadge(b),
      ...b.problems.map((p) => h("span", { class: "problem" }, problemText(p)))),
    h("td", { class: "activity" }, b.online || b.link === "reconnecting"
      ? activityText(b.activity) : t("common.none")),
    h("td", {}, devices(b.status)),
    h("td", {}, b.online ? t("time.just_now") : ago(b.last_seen_at)),
    h("td", { class: "actions" }, ...actions(b, refresh)),
  )));
}

function actions(booth, refresh) {
  if (booth.revoked) return [];
  return [
    h("button", {
      class: "btn-text", type: "button", "data-action": "reissue",
      onclick: () => confirmAction({
        title: t("booths.reissue_title", { name: booth.name }), body: t("booths.reissue_body"),
        ok: t("booths.reissue"), danger: false,
        action: async () => showCode(booth.name, await api.reissueBooth(booth.id)),
      }).then((done) => done && refresh()),
    }, t("booths.reissue")),
    h("button", {
      class: "btn-text danger", type: "button", "data-action": "revoke",
      onclick: () => confirmAction({
        title: t("booths.revoke_title", { name: booth.name }), body: t("booths.revoke_body"),
        ok: t("booths.revoke"), action: () => api.revokeBooth(booth.id),
      }).then((done) => done && refresh()),
    }, t("booths.revoke")),
  ];
}

function showCode(name, made) {
  byId("enroll-title").textContent = t("booths.code_for", { name });
  byId("enroll-code").textContent = made.enrollment_code;
  byId("enroll-expires").textContent = new Date(made.expires_at).toLocaleString();
  byId("enroll-command").textContent =
    `xiaowu-booth --server ${location.origin} --enroll ${made.enrollment_code}`;
  byId("enroll-result").hidden = false;
  byId("enroll-result").scrollIntoView({ block: "nearest" });
}

export function initBooths(refresh) {
  const form = byId("booth-add");
  byId("booth-add-open").addEventListener("click", () => {
    form.hidden = false;
    formError(form, null);
    byId("booth-add-name").focus();
  });
  form.querySelector("[data-action=cancel]").addEventListener("click", () => {
    form.hidden = true;
  });
  byId("enroll-close").addEventListener("click", () => { byId("enroll-result").hidden = true; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = byId("booth-add-name").value.trim();
    const regionCode = byId("booth-add-region-code").value.trim();
    const regionName = byId("booth-add-region-name").value.trim();
    if (!name) return formError(form, t("booths.err.name"));
    if (!/^[0-9]{6,12}$/.test(regionCode)) return formError(form, t("booths.err.region"));
    try {
      const made = await api.addBooth({ name, region_code: regionCode,
        ...(regionName ? { region_name: regionName } : {}) });
      form.reset();
      form.hidden = true;
      showCode(name, made);
      refresh();
    } catch (err) {
      formError(form, errorText(err));
    }
    return undefined;
  });
  for (const button of byId("booth-filter").querySelectorAll("button")) {
    button.addEventListener("click", () => {
      filter = button.dataset.filter;
      for (const b of byId("booth-filter").querySelectorAll("button")) {
        b.setAttribute("aria-pressed", String(b === button));
      }
      refresh();
    });
  }
}
