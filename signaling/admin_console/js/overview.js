// Overview: the fleet at a glance, today's figures and 好差评, queues, booths to look at.

import { byId, duration, h } from "./html.js";
import { t } from "./i18n.js";
import { activityText, problemText } from "./booths.js";

export function renderOverview({ booths, stats }) {
  if (booths) renderFleet(booths);
  if (stats) renderStats(stats);
}

function renderFleet({ booths, summary }) {
  const online = booths.filter((b) => b.online).length;
  const enrolled = summary.total - summary.health.revoked - summary.health.not_enrolled;
  byId("ov-online").textContent = `${online} / ${enrolled}`;
  byId("ov-online-sub").textContent = t("ov.online_sub",
    { total: enrolled, offline: summary.health.offline });
  const attention = byId("ov-attention");
  attention.textContent = String(summary.health.attention);
  attention.classList.toggle("nonzero", summary.health.attention > 0);
  byId("ov-in-call").textContent = String(summary.activity.in_call);
  byId("ov-waiting").textContent = t("ov.waiting_sub",
    { n: summary.activity.waiting + summary.activity.offered });
  const list = byId("ov-attention-list");
  const needy = booths.filter((b) => b.health === "attention");
  list.replaceChildren(...(needy.length ? needy.map((b) => h("li", {},
    h("strong", {}, b.name),
    h("span", { class: "muted" }, b.region_name || b.region_code),
    h("span", { class: "problem" }, b.link === "reconnecting"
      ? t("link.reconnecting") : b.problems.map(problemText).join("、")),
    b.activity.state !== "idle" ? h("span", {}, activityText(b.activity)) : null,
  )) : [h("li", { class: "empty" }, t("ov.all_good"))]));
}

function renderStats({ today, queue, agents }) {
  const total = Object.values(agents).reduce((a, b) => a + b, 0);
  byId("ov-agents").textContent = String(total - (agents.offline || 0));
  byId("ov-agents-sub").textContent = t("ov.agents_sub", {
    available: agents.available || 0, in_call: (agents.in_call || 0) + (agents.offered || 0),
    away: (agents.away || 0) + (agents.wrap_up || 0),
  });
  byId("ov-handled").textContent = String(today.handled);
  byId("ov-abandoned").textContent = `${today.abandoned} / ${today.cancelled}`;
  byId("ov-avg-call").textContent = duration(today.avg_call_s);
  byId("ov-satisfaction").textContent = today.satisfaction === null
    ? t("common.none") : `${(today.satisfaction * 100).toFixed(1)}%`;
  const rated = Object.values(today.ratings).reduce((a, b) => a + b, 0);
  byId("ov-ratings").replaceChildren(...[5, 4, 3, 2, 1].map((level) => {
    const n = today.ratings[String(level)] || 0;
    const pct = rated ? Math.round((n / rated) * 100) : 0;
    return h("div", { class: level <= 2 ? "rating-row low" : "rating-row", "data-level": level },
      h("span", {}, t(`rating.${level}`)),
      h("span", { class: "rating-bar" }, h("span", { style: `width:${pct}%` })),
      h("span", { class: "num" }, String(n)));
  }));
  const rows = queue.filter((d) => d.waiting > 0 || d.agents_available > 0);
  byId("ov-queue").replaceChildren(...(rows.length ? rows.map((d) => h("tr", {},
    h("td", {}, d.name),
    h("td", { class: "num" }, String(d.waiting)),
    h("td", { class: "num" }, d.waiting ? duration(d.oldest_wait_s) : t("common.none")),
    h("td", { class: "num" }, String(d.agents_available)),
  )) : [h("tr", { class: "empty-row" }, h("td", { colspan: 4 }, t("ov.queue_empty")))]));
}
