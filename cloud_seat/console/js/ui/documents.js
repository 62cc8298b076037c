// Draw the documents card (state.docs): request buttons, the live status of open
// requests, and the thumbnail strip.

import { DEFAULT_INSTRUCTIONS, KINDS, openRequests } from "../documents.js";
import { timeOfDay } from "../format.js";
import { $, el, renderList, setAttr, setDisabled, setText, show } from "./dom.js";

export function renderDocuments(state, t) {
  const { docs, images, lang } = state;
  show($("docs-card"), Boolean(docs));
  if (!docs) {
    // No call: nothing of the resident's stays in the page (the blob: URLs are revoked).
    renderList($("doc-strip"), "", () => []);
    renderList($("doc-requests"), "", () => []);
    return;
  }
  setText($("docs-count"), docs.items.length ? t("docs.count", { n: docs.items.length }) : "");

  renderList($("doc-kinds"), lang, () => KINDS.map((kind) => el("button", {
    type: "button", className: "btn btn-kind", "data-kind": kind, "data-testid": `doc-request-${kind}`,
    title: t("docs.request.title", { text: DEFAULT_INSTRUCTIONS[kind] }), text: t(`docs.kind.${kind}`),
  })));
  for (const btn of $("doc-kinds").children) setDisabled(btn, docs.busy);
  const input = $("doc-instruction");
  if (document.activeElement !== input && input.value !== docs.instruction) input.value = docs.instruction;

  const open = openRequests(docs);
  show($("doc-requests"), open.length > 0);
  const reqKey = `${lang}|${JSON.stringify(open.map((r) => [r.requestId, r.state, r.code, r.message, r.rescan]))}`;
  renderList($("doc-requests"), reqKey, () => open.map((r) => el("li", {
    "data-request-id": r.requestId, "data-state": r.state, "data-code": r.code,
  },
  el("span", { className: "req-kind", text: r.kind ? t(`docs.kind.${r.kind}`) : t("docs.kind.unknown") }),
  el("span", { className: "req-state", text: requestText(r, t), title: r.message || "" }),
  r.state === "failed" ? el("span", { className: "req-actions" },
    r.kind ? el("button", { type: "button", className: "btn btn-link", "data-action": "again",
      text: t("docs.request.again") }) : null,
    el("button", { type: "button", className: "btn btn-link", "data-action": "dismiss",
      "aria-label": t("docs.request.dismiss"), title: t("docs.request.dismiss"), text: "×" })) : null)));

  show($("doc-empty"), docs.items.length === 0);
  const items = [...docs.items].reverse(); // newest first
  const stripKey = `${lang}|${JSON.stringify(items.map((d) => [d.documentId, d.review, images[d.thumbUrl]?.src || images[d.thumbUrl]?.state]))}`;
  renderList($("doc-strip"), stripKey, () => items.map((d) => tile(d, images[d.thumbUrl], t)));
  const selected = state.viewer ? state.viewer.documentId : null;
  for (const node of $("doc-strip").children) {
    setAttr(node, "aria-current", node.dataset.documentId === selected ? "true" : "false");
  }
}

function tile(doc, thumb, t) {
  const picture = thumb && thumb.state === "ready"
    ? el("img", { src: thumb.src, alt: t(`docs.kind.${doc.kind}`), draggable: "false" })
    : el("span", { className: "thumb-wait", text: t(thumb && thumb.state === "error" ? "docs.image_error" : "docs.loading") });
  return el("button", {
    type: "button", className: "doc-tile", "data-document-id": doc.documentId, "data-kind": doc.kind,
    "data-review": doc.review || "pending", title: t("docs.open"),
  },
  el("span", { className: "thumb" }, picture),
  el("span", { className: "tile-kind", text: t(`docs.kind.${doc.kind}`) }),
  el("span", { className: "tile-meta" },
    el("span", { className: "tile-time", text: timeOfDay(doc.createdAt * 1000) }),
    el("span", { className: "review-badge", "data-review": doc.review || "pending",
      text: t(`docs.review.${doc.review || "pending"}`) })));
}

/** One open request's progress in words: the state, and why when it retries or failed. */
export function requestText(r, t) {
  if (r.state === "failed") {
    return t("docs.state.failed", { why: t(`docs.code.${r.code || "error"}`) });
  }
  if (r.state === "retrying") {
    const issues = (r.message || "").split(",").map((s) => s.trim()).filter(Boolean);
    const why = issues.length ? issues.map((i) => t(`docs.quality.${i}`, {}, i)).join("、") : t("docs.code.quality");
    return t("docs.state.retrying", { why });
  }
  if (r.state === "requested" && r.rescan) return t("docs.state.rescan");
  return t(`docs.state.${r.state}`);
}
