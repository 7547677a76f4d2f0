// The HTTP API of spec/api.md, for the web vault. It only moves JSON: everything it sends
// is public (SRP values, ciphertext, ids) and the session token lives in this object, in
// memory, never in storage, a cookie or the URL (so a reload asks to sign in again).
//
// Errors:
//   ApiError        the server answered with an error body: status, code, message and the
//                   details (retryAfter, reason, field, current, generation)
//   NetworkError    no answer, or one that is not the API's (a proxy's page)

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail.message || `the server answered ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = detail.code ?? "";
    this.retryAfter = detail.retry_after ?? null;
    this.reason = detail.reason ?? null;
    this.field = detail.field ?? null;
    this.current = detail.current ?? null;
    this.generation = detail.generation ?? null;
  }
}

export class NetworkError extends Error {
  constructor(message = "the server could not be reached") {
    super(message);
    this.name = "NetworkError";
  }
}

export class Api {
  /** `base` is the server's origin ("" for this page's own). */
  constructor(base = "") {
    this.base = base;
    this.token = null;
    this.generation = null;
  }

  async request(method, path, { body, auth = true, vault = false, keepalive = false } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && this.token) headers.Authorization = `Bearer ${this.token}`;
    if (vault) headers["Safehold-Generation"] = String(this.generation);
    let response;
    try {
      response = await fetch(`${this.base}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        keepalive,
        cache: "no-store",
        referrerPolicy: "no-referrer",
      });
    } catch {
      throw new NetworkError();
    }
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch {
      if (response.ok) throw new NetworkError("the server's answer was not readable");
    }
    if (!response.ok) {
      const detail = data && typeof data === "object" && data.error ? data.error : null;
      if (!detail) throw new NetworkError(`the server answered ${response.status} without an explanation`);
      if (response.status === 429 && detail.retry_after == null) {
        detail.retry_after = Number(response.headers.get("Retry-After")) || null;
      }
      throw new ApiError(response.status, detail);
    }
    return data;
  }

  authStart(email) {
    return this.request("POST", "/auth/start", { body: { email }, auth: false });
  }

  authFinish(body) {
    return this.request("POST", "/auth/finish", { body, auth: false });
  }

  /** End this session. `keepalive`: the request outlives the page (a tab being closed). */
  logout({ keepalive = false } = {}) {
    return this.request("POST", "/auth/logout", { keepalive });
  }

  account() {
    return this.request("GET", "/account");
  }

  /** Cancel the reset the server scheduled (SAFEHOLD_RESET_DELAY_HOURS); 404 if none. */
  cancelReset() {
    return this.request("DELETE", "/account/reset");
  }

  changePassword(body) {
    return this.request("POST", "/account/password", { body });
  }

  devices() {
    return this.request("GET", "/devices");
  }

  revokeDevice(deviceId) {
    return this.request("DELETE", `/devices/${encodeURIComponent(deviceId)}`);
  }

  changes(since, limit = 1000) {
    return this.request("GET", `/vault/changes?since=${since}&limit=${limit}`, { vault: true });
  }

  push(writes) {
    return this.request("POST", "/vault/push", { body: { writes }, vault: true });
  }
}
