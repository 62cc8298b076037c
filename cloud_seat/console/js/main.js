// The agent console: wires the store, the hub connection, the call's media,
// the ringer and the screen. User actions and hub events change the store;
// render() draws it.

import * as api from "./api.js";
import { AssistDesk } from "./assistdesk.js";
import { CallController } from "./call.js";
import { Connection } from "./connection.js";
import { Desk } from "./desk.js";
import * as ev from "./events.js";
import { loadLang, saveLang } from "./i18n.js";
import { wsUrlFor } from "./protocol.js";
import { NoteSaver, mergeHistory } from "./records.js";
import { Ringer } from "./ringer.js";
import {
  createStore, initialState, loadAuth, loadHistory, loadSessionId, notice, saveAuth, saveHistory,
  saveSessionId,
} from "./state.js";
import { $ } from "./ui/dom.js";
import { render } from "./ui/render.js";

const params = new URLSearchParams(location.search);
const relayOnly = params.get("relay") === "1";

const store = createStore(initialState({ lang: loadLang(), auth: loadAuth() }));
const ringer = new Ringer();
let conn = null;
const noteSaver = new NoteSaver(() => store.get().auth?.token, (callId, status) => update((d) => {
  if (d.wrapUp && d.wrapUp.historyId === callId) d.wrapUp = { ...d.wrapUp, saveStatus: status };
  if (status === "saved") {
    d.history = d.history.map((h) => (h.id === callId ? { ...h, notesDirty: false } : h));
  }
}));

/** Every change goes through here; `fn(draft, nowMs)`. */
function update(fn) {
  store.update((d) => {
    d.now = Date.now();
    fn(d, d.now);
  });
}

const calls = new CallController({
  send: (type, data) => (conn ? conn.send(type, data) : false),
  onChange: (fields) => update((d) => {
    if (d.call) d.call = { ...d.call, ...fields };
  }),
  relayOnly,
});

const desk = new Desk({
  store,
  update,
  request: (type, data) => (conn ? conn.request(type, data)
    : Promise.reject(new Error("not connected"))),
  fail: (err) => fail(err),
  inking: () => assist.inking(),
});

const assist = new AssistDesk({
  store,
  update,
  request: (type, data) => (conn ? conn.request(type, data)
    : Promise.reject(new Error("not connected"))),
  send: (type, data) => (conn ? conn.send(type, data) : false),
  fail: (err) => fail(err),
  images: desk.images,
});

// ---------------------------------------------------------------- drawing

let savedHistory = null;
store.subscribe((state) => {
  render(state);
  const ring = ev.offerVisible(state.offer, state.now) && !state.call && state.now < state.offer.deadline;
  if (ring && !ringer.ringing) ringer.start();
  else if (!ring && ringer.ringing) ringer.stop();
  if (state.auth && state.history !== savedHistory) {
    savedHistory = state.history;
    saveHistory(state.auth.userId, state.history);
  }
});
setInterval(() => update(() => {}), 1000);

// ---------------------------------------------------------------- session

function errorKey(err) {
  const known = ["conflict", "not_found", "forbidden", "rate_limited", "disconnected", "timeout"];
  return known.includes(err.code) ? [`error.${err.code}`, {}] : ["error.generic", { message: err.message }];
}

function fail(err) {
  const [key, p] = errorKey(err);
  update((d) => notice(d, key, p, "error"));
}

async function loadCatalog() {
  try {
    const data = await api.catalog();
    update((d) => { d.catalog = data.departments || []; });
  } catch (err) {
    console.warn("catalog", err);
  }
}

/** Today's calls from the hub (the records outlive this tab), merged with this tab's. */
async function refreshHistory() {
  const auth = store.get().auth;
  if (!auth) return;
  try {
    const data = await api.myCalls(auth.token);
    update((d) => { d.history = mergeHistory(d.history, data.calls || []); });
  } catch (err) {
    console.warn("history", err); // the tab's own list stays on screen
  }
}

function startSession() {
  const auth = store.get().auth;
  update((d) => { d.history = loadHistory(auth.userId); });
  loadCatalog();
  refreshHistory();
  conn = new Connection({
    url: wsUrlFor(location),
    token: auth.token,
    sessionId: loadSessionId(),
    onStatus: (s) => update((d) => { d.conn = { phase: s.phase, attempt: s.attempt }; }),
    onWelcome: onWelcome,
    onFrame: onFrame,
    onFatal: (reason) => endSession({
      unauthenticated: "login.error.expired", revoked: "login.error.revoked", replaced: "login.error.replaced",
    }[reason] || "login.error.expired"),
  });
  conn.start();
}

const ORPHAN_CALL_WAIT_MS = 3000;

// After a dropped connection the hub puts the agent back `away` (it was
// offline meanwhile). If the agent had been available and the session was
// resumed within the grace period, ask for available again: a network blip
// should not silently take an agent out of the rotation.
let restoreAvailable = false;

function onWelcome(data) {
  saveSessionId(data.session_id);
  const before = store.get().agent.state;
  restoreAvailable = Boolean(data.resumed) && (before === "available" || before === "offered");
  const call = store.get().call;
  const restored = (data.restored && data.restored.call_id) || null;
  const lost = call && (!data.resumed || restored !== call.callId);
  if (lost) calls.finish(); // our session, and with it the call, did not survive the reconnect
  update((d, now) => {
    d.session = { id: data.session_id };
    d.agent = { ...d.agent, switching: false };
    if (lost) ev.onCallEnded(d, { call_id: call.callId, reason: "connection_lost", by: "hub" }, now);
  });
  if (restored && (!call || call.callId !== restored)) endOrphanCall(restored);
  if (store.get().catalog.length === 0) loadCatalog();
}

/**
 * The resumed session holds a call this page knows nothing about (the page was
 * reloaded mid-call). Without its `call.start` (ICE servers, peer) it cannot be
 * answered, so unless the hub sends `call.start` again shortly, end it rather
 * than leave the resident facing a dead screen.
 */
function endOrphanCall(callId) {
  setTimeout(() => {
    const current = store.get().call;
    if (current && current.callId === callId) return;
    if (conn && conn.ready) {
      conn.request("call.end", { call_id: callId, reason: "agent_reloaded" }).catch(() => {});
    }
  }, ORPHAN_CALL_WAIT_MS);
}

// Pure state changes per pushed event (media is handled in onFrame around them).
const HANDLERS = {
  "agent.state": ev.onAgentState,
  "queue.snapshot": ev.onQueueSnapshot,
  "ticket.offer": ev.onOffer,
  "ticket.withdrawn": ev.onWithdrawn,
  "call.start": ev.onCallStart,
  "call.peer": ev.onCallPeer,
  "call.ended": ev.onCallEnded,
};

function onFrame(frame) {
  const { type, data } = frame;
  if (type === "call.sdp") return void calls.handleSdp(data);
  if (type === "call.ice") return void calls.handleIce(data);
  if (type === "error") return void console.warn("hub error", data.code, data.message);
  if (type === "call.ended" && calls.callId === data.call_id) calls.finish();
  if (desk.handles(type)) return void desk.handle(frame);
  if (assist.handles(type)) return void assist.handle(frame);
  const handler = HANDLERS[type];
  if (handler) update((d, now) => handler(d, data, now));
  if (type === "agent.state" && restoreAvailable) {
    restoreAvailable = false;
    if (data.state === "away" || data.state === "offline") setAgentState("available");
  }
  // After the state has the call: the controller reports into state.call.
  if (type === "call.start") {
    calls.start(data);
    desk.callStarted(data.call_id);
    assist.callStarted(data.call_id);
  }
}

function endSession(errorKeyName = null) {
  noteSaver.cancelAll();
  if (conn) conn.stop();
  conn = null;
  calls.finish();
  ringer.stop();
  saveAuth(null);
  const lang = store.get().lang;
  store.update(() => {
    const s = initialState({ lang, auth: null });
    if (errorKeyName) s.login = { busy: false, error: errorKeyName, params: {} };
    return s;
  });
}

// ---------------------------------------------------------------- actions

async function onLogin(event) {
  event.preventDefault();
  ringer.unlock(); // a user gesture: the ring may make sound later
  const username = $("login-username").value.trim();
  const password = $("login-password").value;
  if (!username || !password) {
    update((d) => { d.login = { busy: false, error: "login.error.empty", params: {} }; });
    return;
  }
  update((d) => { d.login = { busy: true, error: null, params: {} }; });
  let res;
  try {
    res = await api.login(username, password);
  } catch (err) {
    let error = ["login.error.server", { code: err.code }];
    if (err.status === 401) error = ["login.error.credentials", {}];
    else if (err.status === 429) error = ["login.error.throttled", { s: err.retryAfterS || 60 }];
    else if (err.status === 0) error = ["login.error.network", {}];
    update((d) => { d.login = { busy: false, error: error[0], params: error[1] }; });
    return;
  }
  if (res.role !== "agent") {
    api.logout(res.token).catch(() => {});
    update((d) => { d.login = { busy: false, error: "login.error.role", params: {} }; });
    return;
  }
  const auth = { token: res.token, userId: res.user_id, name: res.name, role: res.role, expiresAt: res.expires_at };
  saveAuth(auth);
  $("login-password").value = "";
  update((d) => {
    d.auth = auth;
    d.login = { busy: false, error: null, params: {} };
  });
  startSession();
}

async function onLogout() {
  const auth = store.get().auth;
  if (store.get().call) return; // finish the call first
  const wrapUp = store.get().wrapUp;
  if (wrapUp) await noteSaver.flush(wrapUp.historyId); // the token still works here
  if (conn && conn.ready) await conn.request("agent.state", { state: "offline" }).catch(() => {});
  endSession();
  if (auth) api.logout(auth.token).catch(() => {});
}

function toggleLang() {
  const lang = store.get().lang === "en" ? "zh-CN" : "en";
  saveLang(lang);
  update((d) => { d.lang = lang; });
}

async function setAgentState(wanted) {
  ringer.unlock();
  if (!conn) return;
  if (wanted === "available" && store.get().agent.state === "wrap_up") return finishWrapUp();
  update((d) => { d.agent = { ...d.agent, switching: true }; });
  try {
    const reply = await conn.request("agent.state", { state: wanted });
    update((d, now) => ev.onAgentState(d, reply.data, now));
  } catch (err) {
    fail(err);
  } finally {
    update((d) => { d.agent = { ...d.agent, switching: false }; });
  }
}

async function answerOffer(accept) {
  const offer = store.get().offer;
  if (!offer || offer.busy || !conn) return;
  ringer.unlock();
  update((d) => { if (d.offer) d.offer = { ...d.offer, busy: true }; });
  try {
    await conn.request(accept ? "ticket.accept" : "ticket.decline", { offer_id: offer.offerId });
    if (!accept) update((d) => { if (d.offer && d.offer.offerId === offer.offerId) d.offer = null; });
  } catch (err) {
    update((d) => {
      if (d.offer && d.offer.offerId === offer.offerId) d.offer = null;
      if (accept) notice(d, "offer.gone", {}, "warn");
    });
    if (!accept) console.warn("decline failed", err);
  }
}

async function endCall() {
  const call = store.get().call;
  if (!call || call.ending || !conn) return;
  update((d) => { if (d.call) d.call = { ...d.call, ending: true }; });
  try {
    await conn.request("call.end", { call_id: call.callId, reason: "hangup" });
  } catch (err) {
    update((d) => { if (d.call) d.call = { ...d.call, ending: false }; });
    fail(err);
  }
}

function openTransfer() {
  if (store.get().catalog.length === 0) loadCatalog();
  update((d) => { d.transfer = { ...d.transfer, open: !d.transfer.open }; });
}

async function submitTransfer(event) {
  event.preventDefault();
  const { call, transfer, catalog } = store.get();
  if (!call || !transfer.departmentId || transfer.busy || !conn) return;
  update((d) => { d.transfer = { ...d.transfer, busy: true }; });
  const body = { call_id: call.callId, department_id: transfer.departmentId };
  if (transfer.note.trim()) body.note = transfer.note.trim().slice(0, 200);
  try {
    await conn.request("ticket.transfer", body);
    const dept = catalog.find((x) => x.id === transfer.departmentId);
    update((d) => {
      if (d.call) d.call = { ...d.call, transferredTo: transfer.departmentId };
      notice(d, "call.transfer.done", { dept: dept ? dept.name : transfer.departmentId });
    });
  } catch (err) {
    fail(err);
  } finally {
    update((d) => { d.transfer = { ...d.transfer, busy: false, open: false }; });
  }
}

/** The wrap-up's outcome or note changed: keep it in the state and save it to the hub. */
function editRecord(change, { now = false } = {}) {
  let saved = null;
  update((d) => {
    if (!d.wrapUp) return;
    d.wrapUp = { ...d.wrapUp, ...change };
    const { historyId: id, outcome, notes } = d.wrapUp;
    d.history = d.history.map((h) => (h.id === id ? { ...h, outcome, notes, notesDirty: true } : h));
    saved = { id, outcome, notes };
  });
  if (saved) noteSaver.save(saved.id, saved.outcome, saved.notes.trim(), { now });
}

function onNotes(event) {
  editRecord({ notes: event.target.value });
}

function onOutcome(event) {
  const button = event.target.closest("button[data-outcome]");
  if (button) editRecord({ outcome: button.dataset.outcome }, { now: true });
}

async function finishWrapUp(event) {
  if (event) event.preventDefault();
  const wrapUp = store.get().wrapUp;
  if (!conn || (wrapUp && wrapUp.busy)) return;
  update((d) => { if (d.wrapUp) d.wrapUp = { ...d.wrapUp, busy: true }; });
  if (wrapUp) await noteSaver.flush(wrapUp.historyId); // the record first; it retries if it fails
  refreshHistory();
  try {
    const reply = await conn.request("agent.state", { state: "available" });
    update((d, now) => {
      d.wrapUp = null;
      ev.onAgentState(d, reply.data, now);
    });
  } catch (err) {
    // conflict: the hub already moved us on; the wrap-up screen is done either way.
    update((d) => { d.wrapUp = null; });
    if (err.code !== "conflict") fail(err);
  }
}

function bind() {
  $("login-form").addEventListener("submit", onLogin);
  $("lang-toggle-login").addEventListener("click", toggleLang);
  $("lang-toggle").addEventListener("click", toggleLang);
  $("btn-logout").addEventListener("click", onLogout);
  $("btn-available").addEventListener("click", () => setAgentState("available"));
  $("btn-away").addEventListener("click", () => setAgentState("away"));
  $("btn-accept").addEventListener("click", () => answerOffer(true));
  $("btn-decline").addEventListener("click", () => answerOffer(false));
  $("btn-mute").addEventListener("click", () => calls.setMuted(!store.get().call?.muted));
  $("btn-camera").addEventListener("click", () => calls.setCameraOff(!store.get().call?.cameraOff));
  $("btn-end").addEventListener("click", endCall);
  $("btn-transfer").addEventListener("click", openTransfer);
  $("transfer-select").addEventListener("change", (e) => {
    const value = e.target.value;
    update((d) => { d.transfer = { ...d.transfer, departmentId: value }; });
  });
  $("transfer-note").addEventListener("input", (e) => {
    const value = e.target.value;
    update((d) => { d.transfer = { ...d.transfer, note: value }; });
  });
  $("transfer-cancel").addEventListener("click", () => update((d) => {
    d.transfer = { ...d.transfer, open: false };
  }));
  $("transfer-panel").addEventListener("submit", submitTransfer);
  $("wrapup-notes").addEventListener("input", onNotes);
  $("wrapup-outcomes").addEventListener("click", onOutcome);
  $("wrapup-view").addEventListener("submit", finishWrapUp);
  desk.bind();
  assist.bind();
  $("side-tabs").addEventListener("click", (e) => {
    const tab = e.target.closest("button[data-tab]");
    if (tab) update((d) => { d.sideTab = tab.dataset.tab; });
  });
  // the screen view is laid out from the picture's size and the stage's
  $("screen-video").addEventListener("resize", () => update(() => {}));
  window.addEventListener("resize", () => update(() => {}));
  // Browsers let a page make sound only after a user gesture: the first click
  // or key press anywhere (e.g. after a reload that logged in by itself) unlocks the ring.
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, () => ringer.unlock(), { capture: true, passive: true });
  }
  window.addEventListener("beforeunload", (e) => {
    if (store.get().call) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
}

async function boot() {
  bind();
  const auth = store.get().auth;
  if (!auth) {
    update(() => {});
    return;
  }
  try {
    const who = await api.me(auth.token);
    if (who.role !== "agent") return endSession("login.error.role");
  } catch (err) {
    if (err.status === 401) return endSession("login.error.expired");
    // Unreachable hub: connect anyway; the connection retries with backoff.
  }
  startSession();
}

boot();
