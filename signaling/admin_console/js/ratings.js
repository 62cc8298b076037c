// Poor ratings (差评整改): every rating of 1 or 2 with the resident's reasons and
// comment and the agent's own note on the call; the admin records the follow-up.

import { api } from "./api.js";
import { confirmAction } from "./dialog.js";
import { byId, errorText, h, localTime } from "./html.js";
import { t } from "./i18n.js";

let openOnly = true;

function reasonText(code) {
  const text = t(code);
  return text === code ? code : text;
}

function row(r, reload) {
  const followup = r.followup
    ? h("td", {}, h("span", { class: "done" }, r.followup.note),
      h("span", { class: "sub" }, t("ratings.by", { by: r.followup.by, at: localTime(r.followup.at) })))
    : h("td", {}, h("button", {
      class: "btn btn-primary btn-small", type: "button", "data-action": "followup",
      onclick: () => {
        const note = h("textarea", { id: "followup-note", maxlength: 1000,
          placeholder: t("ratings.note_placeholder") });
        confirmAction({
          title: t("ratings.record_title", { number: r.ticket_number }),
          body: t("ratings.record_body"), ok: t("ratings.record"), danger: false, extra: note,
          action: async () => {
            const text = note.value.trim();
            if (!text || text.length > 1000) throw new Error(t("ratings.err.note"));
            await api.followUp(r.call_id, text);
          },
        }).then((done) => done && reload());
      },
    }, t("ratings.record")));
  return h("tr", { "data-call": r.call_id },
    h("td", {}, localTime(r.rated_at)),
    h("td", {}, h("span", { class: "level" }, t(`rating.${r.level}`)),
      h("span", { class: "sub" }, r.reasons.map(reasonText).join("、")),
      r.comment ? h("span", { class: "quote" }, `“${r.comment}”`) : null),
    h("td", {}, h("strong", {}, r.ticket_number), h("span", { class: "sub" }, r.service),
      h("span", { class: "sub" }, `${r.booth} · ${r.agent}`)),
    h("td", {}, r.outcome ? h("span", { class: "sub" }, t(`outcome.${r.outcome}`)) : null,
      r.notes || ""),
    followup);
}

export async function loadRatings() {
  const data = await api.poorRatings(openOnly);
  const reload = () => loadRatings().catch(() => {});
  byId("poor-rows").replaceChildren(...(data.ratings.length
    ? data.ratings.map((r) => row(r, reload))
    : [h("tr", { class: "empty-row" }, h("td", { colspan: 5 },
      t(openOnly ? "ratings.empty_open" : "ratings.empty")))]));
}

export function initRatings(notify) {
  const fail = (err) => notify(errorText(err), "error");
  for (const button of byId("ratings-filter").querySelectorAll("button")) {
    button.addEventListener("click", () => {
      openOnly = button.dataset.open === "1";
      for (const b of byId("ratings-filter").querySelectorAll("button")) {
        b.setAttribute("aria-pressed", String(b === button));
      }
      loadRatings().catch(fail);
    });
  }
}
