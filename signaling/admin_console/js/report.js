// Reports (统计报表): figures over a range of service days grouped by day, department,
// service or agent, with the 好差评 satisfaction rate; exported as CSV for Excel.

import { api } from "./api.js";
import { byId, duration, errorText, h } from "./html.js";
import { t } from "./i18n.js";

const COLUMNS = [
  ["report.tickets", (r) => r.tickets],
  ["report.handled", (r) => r.handled],
  ["report.abandoned", (r) => r.abandoned],
  ["report.cancelled", (r) => r.cancelled],
  ["report.avg_wait", (r) => duration(r.avg_wait_s), (r) => r.avg_wait_s ?? ""],
  ["report.calls", (r) => r.calls],
  ["report.avg_call", (r) => duration(r.avg_call_s), (r) => r.avg_call_s ?? ""],
  ["report.rated", (r) => r.rated],
  ["report.satisfaction", (r) => percent(r.satisfaction), (r) => r.satisfaction ?? ""],
  ["report.dissatisfied", (r) => r.dissatisfied],
];
let last = null;

function percent(value) {
  return value === null || value === undefined ? t("common.none") : `${(value * 100).toFixed(1)}%`;
}

function label(row, by) {
  return by === "agent" && !row.key ? t("report.no_agent") : row.label;
}

function cells(row, tag = "td") {
  return COLUMNS.map(([key, show]) => h(tag, {
    class: key === "report.dissatisfied" && row.dissatisfied > 0 ? "num low" : "num",
  }, String(show(row))));
}

function draw(report) {
  byId("report-head").replaceChildren(h("th", {}, t("report.group")),
    ...COLUMNS.map(([key]) => h("th", { class: "num" }, t(key))));
  byId("report-rows").replaceChildren(...(report.rows.length
    ? report.rows.map((r) => h("tr", { "data-key": r.key }, h("td", {}, label(r, report.by)), ...cells(r)))
    : [h("tr", { class: "empty-row" }, h("td", { colspan: COLUMNS.length + 1 }, t("report.empty")))]));
  byId("report-total").replaceChildren(h("tr", {}, h("td", {}, t("report.total")), ...cells(report.total)));
}

/** RFC 4180 CSV with a UTF-8 BOM (Excel opens Chinese text right with it). */
export function toCsv(report) {
  const quote = (v) => {
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const raw = COLUMNS.map(([, show, rawValue]) => rawValue || show);
  const head = [t("report.group"), ...COLUMNS.map(([key]) => t(key)), "1", "2", "3", "4", "5"];
  const line = (name, r) => [name, ...raw.map((f) => f(r)),
    ...["1", "2", "3", "4", "5"].map((k) => r.ratings[k])].map(quote).join(",");
  return `\ufeff${[head.map(quote).join(","),
    ...report.rows.map((r) => line(label(r, report.by), r)),
    line(t("report.total"), report.total)].join("\r\n")}\r\n`;
}

export async function loadReport() {
  const from = byId("report-from").value;
  const to = byId("report-to").value;
  last = await api.report({ from, to, by: byId("report-by").value });
  byId("report-from").value = last.from;
  byId("report-to").value = last.to;
  draw(last);
}

export function redrawReport() {
  if (last) draw(last);
}

export function initReport(notify) {
  const fail = (err) => notify(errorText(err), "error");
  byId("report-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadReport().catch(fail);
  });
  byId("report-by").addEventListener("change", () => loadReport().catch(fail));
  byId("report-csv").addEventListener("click", () => {
    if (!last) return;
    const url = URL.createObjectURL(new Blob([toCsv(last)], { type: "text/csv;charset=utf-8" }));
    const link = h("a", { href: url, download: `xiaowu-report-${last.by}-${last.from}-${last.to}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
}
