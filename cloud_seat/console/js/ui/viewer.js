// Draw the document viewer (state.viewer) over the stage: the image at its zoom,
// rotation and pan, the toolbar, and the review bar (accept / re-scan with a reason).

import { RESCAN_REASONS } from "../documents.js";
import { number, timeOfDay } from "../format.js";
import { scaleOf, transformCss } from "../viewer.js";
import { $, el, renderList, setAttr, setDisabled, setText, show } from "./dom.js";

/** The scale in use for `viewer` showing `doc`, measured against the stage's box. */
export function viewerScale(viewer, doc) {
  const box = $("viewer-stage");
  if (!doc || !box) return 1;
  return scaleOf(viewer, doc.width, doc.height, box.clientWidth - 32, box.clientHeight - 32);
}

export function renderViewer(state, t) {
  const { viewer, docs, images } = state;
  const doc = viewer && docs ? docs.items.find((d) => d.documentId === viewer.documentId) : null;
  const box = $("doc-viewer");
  show(box, Boolean(doc));
  if (!doc) {
    const img = $("viewer-image");
    if (img.getAttribute("src")) img.removeAttribute("src");
    return;
  }
  const index = docs.items.indexOf(doc);
  setText($("viewer-title"), `${t(`docs.kind.${doc.kind}`)} · ${t("docs.nth", { n: index + 1 })}`);
  setText($("viewer-meta"), `${doc.width}×${doc.height} · ${number(doc.size / 1024, 0, " KB")} · ${
    timeOfDay(doc.createdAt * 1000, true)}`);
  setDisabled($("viewer-prev"), index <= 0);
  setDisabled($("viewer-next"), index >= docs.items.length - 1);

  const full = images[doc.url];
  const thumb = images[doc.thumbUrl];
  const src = full && full.state === "ready" ? full.src : thumb && thumb.state === "ready" ? thumb.src : null;
  const img = $("viewer-image");
  // The thumbnail stands in (blurred) while the full image loads; it is drawn at the
  // full image's size so that zoom and pan do not jump when the image arrives.
  if (src && img.getAttribute("src") !== src) img.setAttribute("src", src);
  if (!src && img.getAttribute("src")) img.removeAttribute("src");
  setAttr(img, "data-loading", !(full && full.state === "ready"));
  img.style.width = `${doc.width}px`;
  img.style.height = `${doc.height}px`;
  const scale = viewerScale(viewer, doc);
  img.style.transform = transformCss(viewer, scale);
  setAttr(img, "data-scale", scale.toFixed(4));
  setAttr(img, "data-rotation", viewer.rotation);
  setAttr(img, "data-fit", viewer.zoom === null);
  setText($("viewer-zoom"), `${Math.round(scale * 100)}%`);
  show($("viewer-loading"), !(full && full.state === "ready"));
  setText($("viewer-loading"), t(full && full.state === "error" ? "docs.image_error" : "docs.loading"));

  renderReview(doc, viewer, t);
}

function renderReview(doc, viewer, t) {
  const badge = $("viewer-review");
  setAttr(badge, "data-review", doc.review || "pending");
  setText(badge, t(`docs.review.${doc.review || "pending"}`)
    + (doc.review === "rescan" && doc.reason ? `：${doc.reason}` : ""));
  const rescanning = Boolean(viewer.review && viewer.review.decision === "rescan");
  show($("viewer-actions"), !rescanning);
  show($("rescan-form"), rescanning);
  const busy = Boolean(viewer.busy);
  setDisabled($("btn-doc-accept"), busy || doc.review === "accepted");
  setDisabled($("btn-doc-rescan"), busy || !doc.requestId || doc.review === "rescan");
  if (!rescanning) return;
  const r = viewer.review;
  renderList($("rescan-presets"), `${t("docs.review.accepted")}|${r.presets.join(",")}`,
    () => RESCAN_REASONS.map(([key, zh]) => el("button", {
      type: "button", className: "chip", "data-reason": key, title: zh,
      "aria-pressed": r.presets.includes(key) ? "true" : "false", text: t(`docs.reason.${key}`),
    })));
  const text = $("rescan-text");
  if (document.activeElement !== text && text.value !== r.text) text.value = r.text;
  setDisabled($("rescan-submit"), busy || (r.presets.length === 0 && !r.text.trim()));
}
