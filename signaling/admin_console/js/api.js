// The hub's admin REST API (docs/protocol.md "Admin"), same origin. The session token
// lives in sessionStorage: closing the tab signs the admin out.

const TOKEN_KEY = "xiaowu.admin.token";

export class ApiError extends Error {
  /** `status` 0: the server could not be reached. */
  constructor(status, code, message, retryAfterS = null) {
    super(message || code);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }
}

let onUnauthenticated = () => {};

export function setUnauthenticatedHandler(fn) { onUnauthenticated = fn; }

export function token() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch (_) { return null; }
}

export function setToken(value) {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) { /* storage disabled: the token lives only in this page */ }
}

export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let resp;
  try {
    resp = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "network", String(err));
  }
  let data = null;
  try { data = await resp.json(); } catch (_) { data = null; }
  if (!resp.ok) {
    const err = (data && data.error) || {};
    const retry = Number(resp.headers.get("Retry-After"));
    const error = new ApiError(resp.status, err.code || `http_${resp.status}`, err.message,
      Number.isFinite(retry) && retry > 0 ? retry : null);
    if (resp.status === 401 && bearer && path !== "/api/login") onUnauthenticated(error);
    throw error;
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  login: (username, password) => request("POST", "/api/login", { username, password }),
  logout: () => request("POST", "/api/logout"),
  me: () => request("GET", "/api/me"),
  stats: () => request("GET", "/api/admin/stats"),
  booths: () => request("GET", "/api/admin/booths"),
  addBooth: (body) => request("POST", "/api/admin/booths", body),
  revokeBooth: (id) => request("POST", `/api/admin/booths/${enc(id)}/revoke`),
  reissueBooth: (id) => request("POST", `/api/admin/booths/${enc(id)}/enrollment`),
  agents: () => request("GET", "/api/admin/agents"),
  addAgent: (body) => request("POST", "/api/admin/agents", body),
  setSkills: (id, skills) => request("PUT", `/api/admin/agents/${enc(id)}/skills`, { skills }),
  disableAgent: (id) => request("POST", `/api/admin/agents/${enc(id)}/disable`),
  enableAgent: (id) => request("POST", `/api/admin/agents/${enc(id)}/enable`),
  setPassword: (id, password) =>
    request("POST", `/api/admin/agents/${enc(id)}/password`, { password }),
  departments: () => request("GET", "/api/admin/departments"),
  putService: (id, body) => request("PUT", `/api/admin/services/${enc(id)}`, body),
  withdrawService: (id) => request("DELETE", `/api/admin/services/${enc(id)}`),
  audit: ({ before = null, action = "", limit = 50 } = {}) => {
    const q = new URLSearchParams({ order: "desc", limit: String(limit) });
    if (before !== null) q.set("before", String(before));
    if (action) q.set("action", action);
    return request("GET", `/api/admin/audit?${q}`);
  },
  verifyAudit: () => request("GET", "/api/admin/audit/verify"),
  poorRatings: (open = true) => request("GET", `/api/admin/poor-ratings?open=${open ? 1 : 0}`),
  followUp: (callId, note) =>
    request("POST", `/api/admin/poor-ratings/${enc(callId)}/followup`, { note }),
  report: ({ from = "", to = "", by = "day" } = {}) => {
    const q = new URLSearchParams({ by });
    if (from) q.set("from", from);
    if (to) q.set("to", to);
    return request("GET", `/api/admin/report?${q}`);
  },
  calls: ({ day = "", agent = "", before = null, limit = 100 } = {}) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (day) q.set("day", day);
    if (agent) q.set("agent", agent);
    if (before) q.set("before", before);
    return request("GET", `/api/admin/calls?${q}`);
  },
};
