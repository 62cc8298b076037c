// Small DOM and formatting helpers shared by the admin views.

import { t } from "./i18n.js";

export const byId = (id) => document.getElementById(id);

/** `h("td", {class: "num", onclick: fn}, "text", node)`: attributes, listeners, children. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      node.className = value;
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** Show `message` in the form's `.form-error` (or hide it with null). */
export function formError(form, message) {
  const box = form.querySelector(".form-error");
  box.textContent = message || "";
  box.hidden = !message;
}

export function errorText(err) {
  if (err && err.status === 0) return t("error.network");
  return t("error.generic", { msg: (err && err.message) || String(err) });
}

/** "3 分钟前" / "3 min ago" from an ISO time. */
export function ago(iso, now = Date.now()) {
  if (!iso) return t("time.never");
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (s < 60) return t("time.just_now");
  if (s < 3600) return t("time.minutes_ago", { n: Math.floor(s / 60) });
  if (s < 86400) return t("time.hours_ago", { n: Math.floor(s / 3600) });
  return t("time.days_ago", { n: Math.floor(s / 86400) });
}

/** 75 → "1:15", 3700 → "1:01:40". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return t("common.none");
  const s = Math.round(seconds);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

export function localTime(iso) {
  if (!iso) return t("common.none");
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
