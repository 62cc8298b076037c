// Draw remote assist (state.assist): the consent bar, the booth's screen large with
// the drawings over it, the drawing tools, drawings on the open document, and the
// remote-control mode. Forms and guidance are in ui/forms.js.

import { COLORS, shapesOf } from "../annotations.js";
import { granted, screenAvailable } from "../assist.js";
import { timeOfDay } from "../format.js";
import { transformCss } from "../viewer.js";
import { $, attachStream, el, renderList, setAttr, setDisabled, setText, show } from "./dom.js";
import { PALETTE, renderInk } from "./ink.js";
import { viewerScale } from "./viewer.js";

export function renderAssist(state, t) {
  const { assist, call } = state;
  if (!assist || !call) {
    attachStream($("screen-video"), null);
    show($("screen-view"), false);
    show($("ink-tools"), false);
    show($("ink-text"), false);
    return;
  }
  renderBar(assist, call, t);
  const screenOn = assist.view === "screen" && screenAvailable(assist, call);
  const wrap = $("video-wrap");
  setAttr(wrap, "data-view", screenOn ? "screen" : "camera");
  setAttr(wrap, "data-control", screenOn && assist.control);
  renderScreen(state, screenOn, t);
  renderDocInk(state);
  renderTools(state, screenOn, t);
}

function consentText(scope, t) {
  return t(scope.busy ? "assist.consent.asking" : `assist.consent.${scope.state}`);
}

function renderBar(assist, call, t) {
  for (const name of ["screen", "control"]) {
    const scope = assist.consent[name];
    const chip = $(`consent-${name}`);
    setAttr(chip, "data-state", scope.busy ? "asking" : scope.state);
    setText(chip, consentText(scope, t));
    chip.title = scope.at ? timeOfDay(scope.at * 1000, true) : "";  // when it was decided
    const btn = $(`btn-ask-${name}`);
    const blocked = name === "control" && !granted(assist, "screen");
    setDisabled(btn, scope.busy || scope.state === "granted" || blocked || call.ending);
    btn.title = blocked ? t("assist.ask.control.needs_screen") : t(`assist.ask.${name}.title`);
  }
  const available = screenAvailable(assist, call);
  const screenTab = $("view-screen");
  setDisabled(screenTab, !available);
  screenTab.title = available ? "" : t("assist.view.screen.none");
  const view = assist.view === "screen" && available ? "screen" : "camera";
  setAttr($("view-camera"), "aria-selected", view === "camera");
  setAttr(screenTab, "aria-selected", view === "screen");
  setText($("view-screen"), t("assist.view.screen") + (available ? " ●" : ""));
}

/** Fit a `w`×`h` picture into the box, as object-fit: contain would. */
function fitBox(boxW, boxH, w, h) {
  if (!boxW || !boxH) return [0, 0];
  const s = Math.min(boxW / w, boxH / h);
  return [Math.floor(w * s), Math.floor(h * s)];
}

function renderScreen(state, screenOn, t) {
  const { assist, call } = state;
  const view = $("screen-view");
  show(view, screenOn);
  const video = $("screen-video");
  attachStream(video, screenOn ? call.screenStream : null);
  if (!screenOn) return;
  const w = video.videoWidth || 16;
  const h = video.videoHeight || 9;
  const [fw, fh] = fitBox(view.clientWidth - 16, view.clientHeight - 16, w, h);
  const frame = $("screen-frame");
  if (frame.style.width !== `${fw}px`) frame.style.width = `${fw}px`;
  if (frame.style.height !== `${fh}px`) frame.style.height = `${fh}px`;
  setAttr(frame, "data-tool", assist.control ? "control" : assist.tool);
  setAttr(frame, "data-frames", call.stats ? call.stats.screenFrames || 0 : 0);
  const sent = assist.pointerSent;
  if (sent && sent.surface === "screen") {
    setAttr(frame, "data-pointer", `${sent.x},${sent.y},${sent.visible ? 1 : 0}`);
    setAttr(frame, "data-pointer-at", sent.at);
  }
  const pending = assist.pending && assist.pending.surface === "screen" ? assist.pending : null;
  renderInk($("screen-ink"), shapesOf(assist.board, "screen"), pending, h / w);

  const taps = assist.taps.filter((tap) => state.now - tap.at < 1500);
  renderList($("screen-taps"), JSON.stringify(taps.map((tap) => tap.at)), () => taps.map((tap) => el("span", {
    className: "tap", style: `left:${tap.x * 100}%;top:${tap.y * 100}%`,
  })));
  const banner = $("control-banner");
  show(banner, assist.control);
  setText(banner, assist.control ? t("assist.control.on") : "");
}

function renderDocInk(state) {
  const { assist, viewer, docs } = state;
  const svg = $("doc-ink");
  const doc = viewer && docs ? docs.items.find((d) => d.documentId === viewer.documentId) : null;
  const btn = $("viewer-ink");
  setAttr(btn, "aria-pressed", Boolean(assist.docInk));
  setAttr($("viewer-stage"), "data-ink", Boolean(assist.docInk && doc));
  if (!doc) {
    svg.replaceChildren();
    delete svg.dataset.inkKey;
    return;
  }
  const surface = `document:${doc.documentId}`;
  svg.style.width = `${doc.width}px`;
  svg.style.height = `${doc.height}px`;
  svg.style.transform = transformCss(viewer, viewerScale(viewer, doc));
  const pending = assist.pending && assist.pending.surface === surface ? assist.pending : null;
  renderInk(svg, shapesOf(assist.board, surface), pending, doc.height / doc.width);
  const sent = assist.pointerSent;
  if (sent && sent.surface === surface) setAttr(svg, "data-pointer", `${sent.x},${sent.y},${sent.visible ? 1 : 0}`);
}

function renderTools(state, screenOn, t) {
  const { assist, viewer, lang } = state;
  const onDoc = Boolean(assist.docInk && viewer);
  const tools = $("ink-tools");
  show(tools, screenOn || onDoc);
  setAttr(tools, "data-surface", onDoc ? "document" : "screen");
  renderList($("ink-colors"), lang, () => COLORS.map((c) => el("button", {
    type: "button", className: "ink-color", "data-color": c, "data-testid": `color-${c}`,
    title: t(`ink.color.${c}`), "aria-label": t(`ink.color.${c}`), style: `--swatch:${PALETTE[c]}`,
  })));
  for (const btn of tools.querySelectorAll("button[data-tool]")) {
    setAttr(btn, "aria-pressed", !assist.control && btn.dataset.tool === assist.tool);
    setDisabled(btn, assist.control);
  }
  for (const btn of $("ink-colors").children) setAttr(btn, "aria-pressed", btn.dataset.color === assist.color);
  const control = $("btn-control");
  const mayControl = screenOn && !onDoc && granted(assist, "control");
  show(control, screenOn && !onDoc);
  setDisabled(control, !mayControl);
  setAttr(control, "aria-pressed", assist.control);
  control.title = mayControl ? t("ink.control.title") : t("ink.control.needs_consent");

  const text = $("ink-text");
  show(text, Boolean(assist.textAt));
  if (assist.textAt) {
    text.style.left = `${assist.textAt.left}px`;
    text.style.top = `${assist.textAt.top}px`;
  }
}
