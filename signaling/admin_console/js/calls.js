// Call log (办件记录): one service day's calls with the agent's outcome and note and
// the resident's rating, newest first, by agent, paged backwards.

import { api } from "./api.js";
import { byId, duration, errorText, h, localTime } from "./html.js";
import { t } from "./i18n.js";

const PAGE = 100;
let rows = [];
let exhausted = false;

function draw() {
  const body = byId("call-rows");
  body.replaceChildren(...(rows.length ? rows.map((c) => h("tr", { "data-call": c.call_id },
    h("td", {}, localTime(c.started_at)),
    h("td", {}, h("strong", {}, c.ticket_number), h("span", { class: "sub" }, c.service.name)),
    h("td", {}, c.booth.name),
    h("td", {}, c.agent.name),
    h("td", { class: "num" }, c.ended_at ? duration(c.duration_s) : t("calls.in_progress")),
    h("td", {}, c.outcome ? h("span", { class: `badge outcome-${c.outcome}` }, t(`outcome.${c.outcome}`))
      : h("span", { class: "muted" }, t("outcome.none"))),
    h("td", { class: c.rating && c.rating <= 2 ? "rating-low" : "" },
      c.rating ? t(`rating.${c.rating}`) : t("common.none")),
    h("td", { class: "notes" }, c.notes || ""),
  )) : [h("tr", { class: "empty-row" }, h("td", { colspan: 8 }, t("calls.empty")))]));
  byId("calls-older").hidden = exhausted;
}

export function fillAgents(agents) {
  const select = byId("calls-agent");
  const chosen = select.value;
  const options = agents.filter((a) => a.role === "agent").map((a) =>
    h("option", { value: a.id }, a.display_name || a.username));
  select.replaceChildren(h("option", { value: "" }, t("calls.all_agents")), ...options);
  select.value = chosen;
}

export async function loadCalls({ more = false } = {}) {
  const input = byId("calls-day");
  const before = more && rows.length ? rows[rows.length - 1].started_at : null;
  // no day chosen yet: the hub's service day (its time zone, not this browser's)
  const reply = await api.calls({ day: input.value, agent: byId("calls-agent").value, before, limit: PAGE });
  if (!input.value) input.value = reply.day;
  const page = reply.calls;
  rows = more ? rows.concat(page) : page;
  exhausted = page.length < PAGE;
  draw();
}

export function initCalls(notify) {
  const fail = (err) => notify(errorText(err), "error");
  byId("calls-day").addEventListener("change", () => loadCalls().catch(fail));
  byId("calls-agent").addEventListener("change", () => loadCalls().catch(fail));
  byId("calls-older").addEventListener("click", () => loadCalls({ more: true }).catch(fail));
}
