// Draw the face check card (state.face): choose the ID card scan and start, the
// progress, then both faces side by side with the band, the distance against the
// thresholds, liveness per challenge, the failed gates, and the agent's decision.

import { faceCandidates } from "../documents.js";
import { scalePosition, verdict } from "../facecheck.js";
import { number, timeOfDay } from "../format.js";
import { $, el, renderList, setAttr, setDisabled, setText, show } from "./dom.js";

export function renderFace(state, t) {
  const { face, docs, lang } = state;
  show($("face-card"), Boolean(face));
  if (!face || !face.result) {
    for (const id of ["face-portrait", "face-live"]) $(id).removeAttribute("src");
  }
  if (!face) return;
  const card = $("face-card");
  setAttr(card, "data-phase", face.phase);

  // choosing and starting
  const candidates = faceCandidates(docs);
  const chosen = candidates.some((c) => c.documentId === face.documentId)
    ? face.documentId : candidates[0]?.documentId || "";
  const select = $("face-document");
  renderList(select, `${lang}|${JSON.stringify(candidates.map((c) => [c.documentId, c.review]))}`,
    () => candidates.map((c) => el("option", { value: c.documentId, text: [
      t("docs.nth", { n: docs.items.indexOf(c) + 1 }), timeOfDay(c.createdAt * 1000, true),
      t(`docs.review.${c.review || "pending"}`),
    ].join(" · ") })));
  if (select.value !== chosen) select.value = chosen;
  const idle = face.phase === "idle" || face.phase === "starting";
  show($("face-start"), idle && candidates.length > 0);
  show($("face-none"), idle && candidates.length === 0);
  setDisabled(select, candidates.length === 0 || face.busy);
  setDisabled($("btn-face-start"), candidates.length === 0 || face.busy);

  // progress
  const progress = ["started", "judging", "cancelled"].includes(face.phase);
  show($("face-progress"), progress);
  if (progress) {
    const steps = face.challenges.map((c) => t(`face.challenge.${c}`)).join(" → ");
    setText($("face-progress-text"), face.phase === "cancelled" ? t("face.cancelled")
      : face.phase === "judging" ? t("face.judging") : t("face.started", { steps }));
    setAttr($("face-progress"), "data-phase", face.phase);
  }

  // result and decision
  const v = verdict(face.result);
  show($("face-result"), Boolean(v));
  show($("btn-face-again"), !idle && !(face.phase === "started" || face.phase === "judging"));
  setDisabled($("btn-face-again"), face.busy || candidates.length === 0);
  if (!v) {
    setText($("face-model"), "");
    return;
  }
  renderFaces(state, t);
  renderBand(v, face.result, t);
  renderChecks(v, lang, t);
  const decided = face.phase === "decided";
  show($("face-decide"), !decided);
  show($("face-decided"), decided);
  setDisabled($("btn-face-confirm"), face.busy);
  setDisabled($("btn-face-reject"), face.busy);
  const note = $("face-note");
  if (document.activeElement !== note && note.value !== face.note) note.value = face.note;
  if (decided) {
    const decidedBox = $("face-decided");
    setAttr(decidedBox, "data-decision", face.decision);
    setText(decidedBox, t(`face.decided.${face.decision}`, { name: face.by ? face.by.name : "" })
      + (face.note.trim() ? ` · ${face.note.trim()}` : ""));
  }
}

function renderFaces(state, t) {
  const { face, images } = state;
  for (const [id, url] of [["face-portrait", face.result.portrait_url], ["face-live", face.result.live_url]]) {
    const img = $(id);
    const entry = url ? images[url] : null;
    const src = entry && entry.state === "ready" ? entry.src : null;
    if (src && img.getAttribute("src") !== src) img.setAttribute("src", src);
    if (!src && img.getAttribute("src")) img.removeAttribute("src");
    const hole = $(`${id}-empty`);
    show(hole, !src);
    setText(hole, !url ? t("face.no_image") : entry && entry.state === "error" ? t("docs.image_error") : t("docs.loading"));
  }
}

function renderBand(v, result, t) {
  const band = $("face-band");
  const key = v.failed ? "failed" : v.band || "none";
  setAttr(band, "data-band", key);
  setText(band, t(`face.band.${key}`));
  let why = "";
  if (v.failed) why = t("face.error", { message: result.error ? result.error.message : "" });
  else if (!v.band) why = v.failedGates.length ? t("face.no_compare") : "";
  setText($("face-why"), why);
  show($("face-why"), Boolean(why));

  const th = v.thresholds;
  const hasDistance = v.distance !== null;
  show($("face-distance"), hasDistance);
  if (hasDistance && th) {
    setText($("face-distance-text"), t("face.distance", { d: number(v.distance, 2) }));
    setText($("face-thresholds"), t("face.thresholds", {
      match: number(th.match_max, 2), mismatch: number(th.mismatch_min, 2),
    }));
    $("face-meter-value").style.left = `${scalePosition(v.distance)}%`;
    $("face-meter-match").style.width = `${scalePosition(th.match_max)}%`;
    const mm = scalePosition(th.mismatch_min);
    $("face-meter-mismatch").style.left = `${mm}%`;
    $("face-meter-mismatch").style.width = `${100 - mm}%`;
  }
  setText($("face-model"), result.model ? t("face.model", { name: result.model.name, version: result.model.version }) : "");
}

function renderChecks(v, lang, t) {
  const live = $("face-liveness");
  show($("face-liveness-box"), v.liveness.length > 0);
  renderList(live, `${lang}|${JSON.stringify(v.liveness)}`, () => v.liveness.map((c) => el("li", {
    "data-passed": c.passed ? "true" : "false", "data-action": c.action, title: c.detail || "",
  },
  el("span", { className: "mark", "aria-hidden": "true", text: c.passed ? "✓" : "✗" }),
  el("span", { text: t(`face.challenge.${c.action}`) }),
  el("span", { className: "sr", text: t(c.passed ? "face.passed" : "face.not_passed") }))));

  show($("face-gates-box"), v.failedGates.length > 0);
  renderList($("face-gates"), `${lang}|${JSON.stringify(v.failedGates)}`, () => v.failedGates.map((g) => el("li", {
    "data-gate": g.name,
  },
  el("span", { className: "mark", "aria-hidden": "true", text: "✗" }),
  el("span", { text: t(`face.gate.${g.name}`, {}, g.name) }),
  g.hint ? el("small", { text: t(`face.hint.${g.hint}`, {}, g.hint) }) : null)));
}
