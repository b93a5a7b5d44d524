// The one door to the management API: bearer token from this tab's sessionStorage, JSON in and
// out, Cloudflare's envelope unwrapped, every failure turned into an ApiError with the API's
// own messages (and the `path` of each invalid field) so pages can show them next to fields.

const KEY = "aigw.console.session";

/** The API root: everything before `/dashboard` in this page's URL (keeps an API stage). */
export const apiRoot = location.pathname.replace(/\/dashboard\/?$/, "");

export class ApiError extends Error {
  /** @param {number} status  @param {{code?: number, message: string, path?: (string|number)[]}[]} errors */
  constructor(status, errors) {
    super(errors.map((e) => e.message).join("; ") || `HTTP ${status}`);
    this.status = status;
    this.errors = errors;
  }
  /** A sentence for a person: what happened and what to do. */
  get explanation() {
    if (this.status === 0) return "The gateway could not be reached. Check the network and try again.";
    if (this.status === 401) return "The token was not accepted (wrong, revoked or expired). Sign in again.";
    if (this.status === 403) return "This token may only read: changes need an edit token or the admin token.";
    if (this.status === 404) return `Not found: ${this.message}`;
    if (this.status === 429) return `Too many requests: ${this.message}`;
    return this.message;
  }
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

/** The signed-in token stopped working (revoked, rotated): forget it and tell the shell. */
function expired() {
  saveSession(null);
  window.dispatchEvent(new CustomEvent("aigw:expired"));
}

export function saveSession(s) {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

function accountBase(account) {
  return `${apiRoot}/client/v4/accounts/${encodeURIComponent(account)}/ai-gateway`;
}

/**
 * Call the management API. `path` is relative to `/accounts/{account}/ai-gateway`.
 * Returns the whole envelope (callers read `result`, `result_info` or the routes API's `data`).
 */
export async function call(method, path, { body, query, auth } = {}) {
  const s = auth || session();
  if (!s) throw new ApiError(401, [{ message: "not signed in" }]);
  const url = new URL(accountBase(s.account) + path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (Array.isArray(v)) v.forEach((item) => url.searchParams.append(k, item));
    else if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  }
  const init = { method, headers: { Authorization: `Bearer ${s.token}` }, credentials: "omit", cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch {
    throw new ApiError(0, [{ message: "network error" }]);
  }
  let data = null;
  const text = await resp.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!resp.ok || (data && data.success === false)) {
    const errors = (data && (data.errors || data.error)) || [{ message: `HTTP ${resp.status}` }];
    if (resp.status === 401 && !auth) expired();
    throw new ApiError(resp.status, Array.isArray(errors) ? errors : [errors]);
  }
  return data;
}

export const get = (path, query) => call("GET", path, { query }).then((d) => d.result);
export const send = (method, path, body) => call(method, path, { body }).then((d) => d.result ?? d);

/** GET a body as stored (logs' request/response): text, JSON re-indented when it parses. */
export async function getText(path) {
  const s = session();
  const resp = await fetch(new URL(accountBase(s.account) + path, location.origin), {
    headers: { Authorization: `Bearer ${s.token}` }, credentials: "omit", cache: "no-store",
  });
  const text = await resp.text();
  if (resp.status === 401) expired();
  if (!resp.ok) {
    let errors = [{ message: `HTTP ${resp.status}` }];
    try {
      errors = JSON.parse(text).errors || errors;
    } catch { /* not JSON */ }
    throw new ApiError(resp.status, errors);
  }
  return text;
}

/**
 * Who this token is: checks it against the API and finds whether it may edit. A token the
 * tokens list knows (by its display prefix) carries its permissions; the admin token is not
 * in that list and may do everything. The API still checks every call.
 */
export async function signIn(account, token) {
  const auth = { account, token };
  await call("GET", "/gateways", { query: { per_page: 1 }, auth });
  const tokens = await call("GET", "/tokens", { query: { per_page: 100 }, auth });
  const mine = (tokens.result || []).find((t) => t.prefix && token.startsWith(t.prefix));
  const permissions = mine ? mine.permissions : ["read", "edit"];
  const s = { account, token, canEdit: permissions.includes("edit"), label: mine ? `${mine.name} (${permissions.join(", ")})` : "admin" };
  saveSession(s);
  return s;
}
