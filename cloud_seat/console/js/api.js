// The hub's HTTP API (docs/protocol.md "HTTP API"): same origin as the console.

export class ApiError extends Error {
  /** `status` 0 means the server could not be reached. */
  constructor(status, code, message, retryAfterS = null) {
    super(message || code);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }
}

async function call(method, path, { body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
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
    throw new ApiError(resp.status, err.code || `http_${resp.status}`, err.message,
      Number.isFinite(retry) && retry > 0 ? retry : null);
  }
  return data;
}

/** `POST /api/login` → {token, role, user_id, name, expires_at}. */
export function login(username, password) {
  return call("POST", "/api/login", { body: { username, password } });
}

export function logout(token) {
  return call("POST", "/api/logout", { token });
}

/** `GET /api/me` → {id, role, name, skills}. */
export function me(token) {
  return call("GET", "/api/me", { token });
}

/** `GET /api/catalog` → {departments: [{id, name, name_en, services: [...]}]}. */
export function catalog() {
  return call("GET", "/api/catalog");
}

/** `GET /api/calls/{call_id}/documents` → {documents: [...]} (after a reload: rebuild the strip). */
export function listDocuments(token, callId) {
  return call("GET", `/api/calls/${encodeURIComponent(callId)}/documents`, { token });
}

/** `GET /api/calls/{call_id}/face-checks` → {face_checks: [...]} (after a reload: the check again). */
export function listFaceChecks(token, callId) {
  return call("GET", `/api/calls/${encodeURIComponent(callId)}/face-checks`, { token });
}

/**
 * A document or face image (`url` from `document.added` / `face.check.result`) as a Blob.
 * Only same-origin paths are fetched: the session token never goes anywhere else.
 */
export async function fetchImage(token, url) {
  if (typeof url !== "string" || !url.startsWith("/api/")) {
    throw new ApiError(0, "bad_url", `not a hub path: ${url}`);
  }
  let resp;
  try {
    resp = await fetch(url, {
      headers: { Authorization: `Bearer ${token}` }, credentials: "omit", cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "network", String(err));
  }
  if (!resp.ok) throw new ApiError(resp.status, `http_${resp.status}`, `${url}: HTTP ${resp.status}`);
  return resp.blob();
}

/** `GET /api/calls/{call_id}/forms` → {forms: [{form_id, title, state, sha256, ...}]}. */
export function listForms(token, callId) {
  return call("GET", `/api/calls/${encodeURIComponent(callId)}/forms`, { token });
}

/** `GET /api/forms/{id}` → the definition (`form`) and, once signed, `values` and hashes (audited). */
export function getForm(token, formId) {
  return call("GET", `/api/forms/${encodeURIComponent(formId)}`, { token });
}

/** One of the console's own JSON files (form templates), relative to the console's page. */
export async function staticJson(path) {
  let resp;
  try {
    resp = await fetch(path, { credentials: "omit", cache: "no-cache" });
  } catch (err) {
    throw new ApiError(0, "network", String(err));
  }
  if (!resp.ok) throw new ApiError(resp.status, `http_${resp.status}`, `${path}: HTTP ${resp.status}`);
  return resp.json();
}

/** `PUT /api/calls/{call_id}/notes` {outcome, notes} → the call's record (see `myCalls`). */
export function putNotes(token, callId, outcome, notes) {
  return call("PUT", `/api/calls/${encodeURIComponent(callId)}/notes`,
    { token, body: { outcome, notes } });
}

/** `GET /api/agent/calls` → {calls: [...]}: this agent's calls of today, from the hub. */
export function myCalls(token) {
  return call("GET", "/api/agent/calls", { token });
}
