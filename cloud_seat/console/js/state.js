// The console's one store of state. Everything the screen shows is derived from
// it by the render functions (js/ui/*); event handlers and protocol messages
// change it only through `store.update`.

export const AGENT_STATES = ["offline", "available", "offered", "in_call", "wrap_up", "away"];

/** Default wrap-up length when the hub does not say (Settings.wrap_up_s default). */
export const DEFAULT_WRAP_UP_S = 30;

export function initialState({ lang, auth }) {
  return {
    lang,
    now: Date.now(),
    // login screen
    auth, // {token, userId, name, role} or null
    login: { busy: false, error: null, params: {} },
    // connection to the hub
    conn: { phase: "stopped", attempt: 0 },
    session: { id: null },
    agent: { state: "offline", reason: null, switching: false },
    queue: { departments: [], receivedAt: 0 },
    catalog: [], // departments from GET /api/catalog
    offer: null, // {offerId, ticket, timeoutS, receivedAt, deadline, busy}
    call: null, // see call.js: CallController.describe
    wrapUp: null, // {historyId, number, service, durationS, startedAt, until, notes, busy}
    history: [], // [{id, number, service, department, booth, startedAt, durationS, reason, by, notes}]
    transfer: { open: false, departmentId: "", note: "", busy: false },
    docs: null, // the call's documents: see documents.js
    viewer: null, // the open document: see viewer.js
    face: null, // the call's face check: see facecheck.js
    assist: null, // the call's remote assist: see assist.js
    formTemplates: [], // [{file, name: {zh, en}, services}] from forms/index.json
    sideTab: "docs", // the sidebar's tab in a call: docs | forms | guide
    images: {}, // url -> {state, src}: blob: URLs of the call's images (images.js)
    notice: null, // {key, params, level: "info"|"warn"|"error", at}
  };
}

/**
 * A tiny observable store. `update(fn)` gets a draft (a shallow copy of the
 * state) and may replace its top-level keys; subscribers run once per
 * microtask batch, after every update of that batch.
 */
export function createStore(initial) {
  let state = initial;
  const subscribers = new Set();
  let scheduled = false;

  function notify() {
    scheduled = false;
    for (const fn of subscribers) {
      try { fn(state); } catch (err) { console.error("render failed", err); }
    }
  }

  return {
    get: () => state,
    update(fn) {
      const draft = { ...state };
      const out = fn(draft);
      state = Object.freeze(out || draft);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(notify);
      }
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}

/** Merge `patch` into the object at `key` (shallow), for use inside `update`. */
export function patch(draft, key, fields) {
  draft[key] = draft[key] ? { ...draft[key], ...fields } : { ...fields };
  return draft;
}

export function notice(draft, key, params = {}, level = "info") {
  draft.notice = { key, params, level, at: Date.now() };
  return draft;
}

// ---------------------------------------------------------------- session storage

const AUTH_KEY = "xiaowu.seat.auth";
const SESSION_KEY = "xiaowu.seat.session";
const HISTORY_PREFIX = "xiaowu.seat.history.";

export function loadAuth() {
  try {
    const raw = sessionStorage.getItem(AUTH_KEY);
    const auth = raw ? JSON.parse(raw) : null;
    return auth && typeof auth.token === "string" ? auth : null;
  } catch (_) {
    return null;
  }
}

export function saveAuth(auth) {
  try {
    if (auth) sessionStorage.setItem(AUTH_KEY, JSON.stringify(auth));
    else {
      sessionStorage.removeItem(AUTH_KEY);
      sessionStorage.removeItem(SESSION_KEY);
    }
  } catch (_) { /* storage disabled */ }
}

/** The hub session id, so that a reload of the page resumes the session (`hello.resume`). */
export function loadSessionId() {
  try { return sessionStorage.getItem(SESSION_KEY) || null; } catch (_) { return null; }
}

export function saveSessionId(id) {
  try { sessionStorage.setItem(SESSION_KEY, id); } catch (_) { /* ignore */ }
}

/** Today's handled calls of this browser tab (sessionStorage: gone with the tab). */
export function loadHistory(userId) {
  try {
    const raw = sessionStorage.getItem(HISTORY_PREFIX + userId);
    const list = raw ? JSON.parse(raw) : [];
    const today = new Date().toDateString();
    return Array.isArray(list) ? list.filter((h) => new Date(h.startedAt).toDateString() === today) : [];
  } catch (_) {
    return [];
  }
}

export function saveHistory(userId, history) {
  try { sessionStorage.setItem(HISTORY_PREFIX + userId, JSON.stringify(history)); } catch (_) { /* ignore */ }
}
