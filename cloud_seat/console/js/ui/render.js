// Draw the whole state. Called after every batch of store updates and once a
// second (timers). Reads state, writes DOM; never changes state.

import { endedKey, offerVisible } from "../events.js";
import { clockDuration, number, secondsLeft, timeOfDay } from "../format.js";
import { applyStatic, translate } from "../i18n.js";
import { renderAssist } from "./assist.js";
import { renderDocuments } from "./documents.js";
import { $, attachStream, el, renderList, setAttr, setDisabled, setText, show } from "./dom.js";
import { renderFace } from "./facecheck.js";
import { renderForms, renderGuide, renderSideTabs } from "./forms.js";
import { renderViewer } from "./viewer.js";

const NOTICE_MS = 5000;
let lastLang = null;

export function render(state) {
  const t = (key, params, fallback) => translate(state.lang, key, params, fallback);
  if (state.lang !== lastLang) {
    lastLang = state.lang;
    document.documentElement.lang = state.lang;
    applyStatic(document.body, state.lang);
  }
  const app = $("app");
  const screen = state.auth ? "console" : "login";
  setAttr(app, "data-screen", screen);
  show($("login-screen"), screen === "login");
  show($("console-screen"), screen === "console");
  if (screen === "login") {
    renderLogin(state, t);
    document.title = t("app.title");
    return;
  }
  renderHeader(state, t);
  renderStage(state, t);
  renderSidebar(state, t);
  renderNotice(state, t);
  const ringing = offerVisible(state.offer, state.now) && !state.call;
  document.title = ringing ? `【${t("offer.title")}】${state.offer.ticket.number} · ${t("app.title")}`
    : t("app.title");
}

function renderLogin(state, t) {
  const err = $("login-error");
  show(err, Boolean(state.login.error));
  setText(err, state.login.error ? t(state.login.error, state.login.params) : "");
  const submit = $("login-submit");
  setDisabled(submit, state.login.busy);
  setText(submit, t(state.login.busy ? "login.busy" : "login.submit"));
}

function renderHeader(state, t) {
  setText($("agent-name"), state.auth.name);
  const badge = $("agent-state");
  const shown = state.conn.phase === "open" ? state.agent.state : "offline";
  setAttr(badge, "data-state", shown);
  setText(badge, t(`state.${shown}`));

  const open = state.conn.phase === "open";
  const s = state.agent.state;
  const locked = !open || state.agent.switching || s === "offered" || s === "in_call";
  const avail = $("btn-available");
  const away = $("btn-away");
  setDisabled(avail, locked || s === "available");
  setDisabled(away, locked || s === "away");
  setAttr(avail, "aria-pressed", s === "available");
  setAttr(away, "aria-pressed", s === "away");
  setDisabled($("btn-logout"), Boolean(state.call));

  setAttr($("conn-dot"), "data-phase", state.conn.phase);
  setText($("clock"), timeOfDay(state.now, true));
  const banner = $("conn-banner");
  const phase = state.conn.phase;
  show(banner, phase === "reconnecting" || phase === "connecting");
  setText(banner, phase === "reconnecting" ? t("conn.reconnecting", { n: state.conn.attempt })
    : phase === "connecting" ? t("conn.connecting") : "");
}

function renderStage(state, t) {
  const { call, wrapUp, offer, now } = state;
  const view = call ? "call" : wrapUp ? "wrapup" : offerVisible(offer, now) ? "offer" : "idle";
  show($("call-view"), view === "call");
  show($("wrapup-view"), view === "wrapup");
  show($("offer-view"), view === "offer");
  show($("idle-view"), view === "idle");
  if (view !== "call") {
    attachStream($("remote-video"), null);
    attachStream($("local-video"), null);
    renderAssist(state, t);
  }
  if (view === "idle") renderIdle(state, t);
  else if (view === "offer") renderOffer(state, t);
  else if (view === "call") renderCall(state, t);
  else renderWrapUp(state, t);
}

function renderIdle(state, t) {
  const IDLE = { away: "away", offline: "away", wrap_up: "wrap_up" };
  const which = state.conn.phase === "open" ? IDLE[state.agent.state] || "available" : "offline";
  setText($("idle-title"), t(`idle.${which}.title`));
  setText($("idle-body"), t(`idle.${which}.body`));
  const { history } = state;
  setText($("idle-count"), history.length);
  const total = history.reduce((sum, h) => sum + h.durationS, 0);
  setText($("idle-avg"), history.length ? clockDuration(total / history.length) : "—");
  setText($("idle-waiting"), state.queue.departments.reduce((sum, d) => sum + d.waiting, 0));
}

function renderOffer(state, t) {
  const { offer, now } = state;
  const tk = offer.ticket;
  setText($("offer-number"), tk.number);
  setText($("offer-service"), tk.service.name);
  setText($("offer-department"), tk.service.department);
  setText($("offer-booth"), tk.booth.name);
  setText($("offer-region"), tk.booth.region || "—");
  const waited = (tk.waited_s || 0) + Math.max(0, (now - offer.receivedAt) / 1000);
  setText($("offer-waited"), clockDuration(waited));
  show($("offer-priority"), tk.priority === "priority");
  const left = secondsLeft(offer.deadline, now);
  setText($("offer-countdown"), t("offer.countdown", { s: left }));
  $("offer-countdown-bar").style.width = `${Math.min(100, (100 * left) / offer.timeoutS)}%`;
  setDisabled($("btn-accept"), offer.busy);
  setDisabled($("btn-decline"), offer.busy);
}

function renderCall(state, t) {
  const { call, now } = state;
  setText($("call-ticket"), t("call.ticket", { number: call.number }));
  setText($("call-service"), call.service);
  setText($("call-booth"), [call.booth, call.region].filter(Boolean).join(" · "));
  setText($("call-timer"), clockDuration((now - call.startedAt) / 1000));

  attachStream($("remote-video"), call.remoteStream);
  attachStream($("local-video"), call.localStream);
  const placeholder = $("remote-placeholder");
  show(placeholder, !call.remoteStream);
  setText(placeholder, t(call.media === "connecting" ? "call.connecting" : "call.waiting_video"));

  const reconnecting = call.media === "reconnecting" || call.peerAway;
  const banner = $("reconnecting-banner");
  show(banner, reconnecting);
  setText(banner, reconnecting
    ? t("call.reconnecting") + (call.peerAway ? ` ${t("call.peer_away")}` : "") : "");
  setAttr($("call-view"), "data-media", call.media);
  show($("local-media-notice"), Boolean(call.localMediaError));

  const mute = $("btn-mute");
  setText(mute, t(call.muted ? "call.unmute" : "call.mute"));
  setAttr(mute, "aria-pressed", call.muted);
  setDisabled(mute, !call.localStream || call.localStream.getAudioTracks().length === 0);
  const cam = $("btn-camera");
  setText(cam, t(call.cameraOff ? "call.camera_on" : "call.camera_off"));
  setAttr(cam, "aria-pressed", call.cameraOff);
  setDisabled(cam, !call.localStream || call.localStream.getVideoTracks().length === 0);
  setDisabled($("btn-end"), call.ending);
  setDisabled($("btn-transfer"), call.ending || state.transfer.busy);

  const st = call.stats || {};
  const quality = st.quality || "unknown";
  const q = $("stat-quality");
  setAttr(q, "data-quality", quality);
  setText(q, `${t("stats.title")} · ${t(`stats.quality.${quality}`)}`);
  setText($("stat-loss"), number(st.lossPct, 1, "%"));
  setText($("stat-rtt"), number(st.rttMs, 0, " ms"));
  setText($("stat-bitrate"), number(st.kbps, 0, " kbps"));
  setText($("stat-frames"), st.framesDecoded || 0);
  setText($("stat-path"), st.path || "");
  setAttr($("call-gen"), "data-gen", call.gen);

  renderTransfer(state, t);
  renderAssist(state, t);
}

function renderTransfer(state, t) {
  const { transfer, call, catalog, lang } = state;
  const panel = $("transfer-panel");
  show(panel, transfer.open);
  if (!transfer.open) return;
  const select = $("transfer-select");
  const depts = catalog.filter((d) => d.name !== call.department);
  renderList(select, `${lang}|${depts.map((d) => d.id).join(",")}`, () => [
    el("option", { value: "", text: t("call.transfer.choose") }),
    ...depts.map((d) => el("option", { value: d.id, text: lang === "en" && d.name_en ? d.name_en : d.name })),
  ]);
  if (select.value !== transfer.departmentId) select.value = transfer.departmentId;
  setDisabled($("transfer-submit"), transfer.busy || !transfer.departmentId);
}

function renderWrapUp(state, t) {
  const { wrapUp, now } = state;
  setText($("wrapup-summary"), t("wrapup.summary", {
    number: wrapUp.number, service: wrapUp.service, duration: clockDuration(wrapUp.durationS),
  }));
  const notes = $("wrapup-notes");
  if (document.activeElement !== notes && notes.value !== wrapUp.notes) notes.value = wrapUp.notes;
  for (const button of $("wrapup-outcomes").querySelectorAll("button[data-outcome]")) {
    setAttr(button, "aria-pressed", button.dataset.outcome === wrapUp.outcome);
  }
  const saveKey = wrapUp.saveStatus ? `wrapup.save.${wrapUp.saveStatus}`
    : !wrapUp.outcome && wrapUp.notes.trim() ? "wrapup.save.need_outcome" : null;
  setText($("wrapup-save"), saveKey ? t(saveKey) : "");
  setAttr($("wrapup-save"), "data-status", wrapUp.saveStatus || (saveKey ? "need_outcome" : ""));
  const left = secondsLeft(wrapUp.until, now);
  setText($("wrapup-countdown"), state.agent.state === "wrap_up" || left > 0
    ? t("wrapup.remaining", { s: left }) : t("wrapup.remaining_unknown"));
  setDisabled($("btn-done"), wrapUp.busy);
}

/** In a call the sidebar holds the call's documents and face check; otherwise the queues. */
function renderSidebar(state, t) {
  const inCall = Boolean(state.call);
  setAttr(document.querySelector(".workspace"), "data-call", inCall);
  show($("queue-card"), !inCall);
  show($("history-card"), !inCall);
  renderSideTabs(state);
  renderDocuments(state, t);
  renderFace(state, t);
  renderViewer(state, t);
  renderForms(state, t);
  renderGuide(state, t);
  if (inCall) return;
  renderQueue(state, t);
  renderHistory(state, t);
}

function renderQueue(state, t) {
  const { departments, receivedAt } = state.queue;
  const drift = Math.max(0, Math.floor((state.now - receivedAt) / 1000));
  show($("queue-empty"), departments.length === 0);
  const names = new Map(state.catalog.map((d) => [d.id, d.name_en]));
  const rows = departments.map((d) => {
    const oldest = d.waiting > 0 ? d.oldest_wait_s + drift : 0;
    const name = state.lang === "en" && names.get(d.id) ? names.get(d.id) : d.name;
    return [d.id, name, d.waiting, d.waiting > 0 ? clockDuration(oldest) : "—", d.agents_available];
  });
  renderList($("queue-body"), JSON.stringify(rows), () => rows.map(([id, name, waiting, oldest, agents]) =>
    el("tr", { "data-dept-id": id, "data-busy": waiting > 0 },
      el("td", { text: name, title: name }),
      el("td", { className: waiting > 0 ? "num waiting-hot" : "num", text: String(waiting) }),
      el("td", { className: "num", text: oldest }),
      el("td", { className: "num", text: String(agents) }))));
}

function renderHistory(state, t) {
  const { history, lang } = state;
  show($("history-empty"), history.length === 0);
  setText($("history-count"), history.length ? t("history.count", { n: history.length }) : "");
  const key = `${lang}|${JSON.stringify(history.map((h) => [h.id, h.durationS, h.notes, h.reason,
    h.outcome, h.rating]))}`;
  renderList($("history-list"), key, () => history.map((h) => el("li", { "data-call-id": h.id },
    el("span", { className: "h-number", text: h.number }),
    el("span", { className: "h-service", text: h.service }),
    el("span", { className: "h-duration", text: clockDuration(h.durationS) }),
    el("span", { className: "h-meta", text: [timeOfDay(h.startedAt), t(endedKey(h)),
      h.outcome ? t(`outcome.${h.outcome}`) : null,
      h.rating ? t("history.rating", { n: h.rating }) : null].filter(Boolean).join(" · ") }),
    h.notes ? el("span", { className: "h-notes", text: h.notes }) : null)));
}

function renderNotice(state, t) {
  const box = $("notice");
  const n = state.notice;
  const visible = Boolean(n) && state.now - n.at < NOTICE_MS;
  show(box, visible);
  if (visible) {
    setText(box, t(n.key, n.params));
    setAttr(box, "data-level", n.level);
  }
}
