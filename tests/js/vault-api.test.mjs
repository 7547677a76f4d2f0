// The web vault's API client (static/js/vault/api.js) over a fake fetch: headers (token,
// generation), error bodies become ApiError with their details, anything else NetworkError.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Api, ApiError, NetworkError } from "../../src/safehold/server/static/js/vault/api.js";
import { SignInError, waitText } from "../../src/safehold/server/static/js/vault/session.js";

function withFetch(answer, fn) {
  const calls = [];
  const saved = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return fn(calls).finally(() => (globalThis.fetch = saved));
}

const json = (status, body, headers = {}) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

test("vault requests carry the token and the generation, never a cookie", () =>
  withFetch(json(200, { generation: 1, changes: [], cursor: 0, has_more: false }), async (calls) => {
    const api = new Api("http://s");
    api.token = "tok";
    api.generation = 3;
    await api.changes(7);
    const { url, init } = calls[0];
    assert.equal(url, "http://s/api/v1/vault/changes?since=7&limit=1000");
    assert.equal(init.headers.Authorization, "Bearer tok");
    assert.equal(init.headers["Safehold-Generation"], "3");
    assert.equal(init.credentials, "omit");
    assert.equal(init.cache, "no-store");
  }));

test("sign-in requests carry no token", () =>
  withFetch(json(200, {}), async (calls) => {
    const api = new Api();
    api.token = "tok";
    await api.authStart("a@b.c");
    assert.equal(calls[0].init.headers.Authorization, undefined);
  }));

test("an error body becomes ApiError with its details; Retry-After fills retry_after", () =>
  withFetch(json(429, { error: { code: "too_many_requests", message: "slow down" } }, { "Retry-After": "12" }), async () => {
    await assert.rejects(new Api().authStart("a@b.c"), (err) => err instanceof ApiError && err.status === 429 && err.retryAfter === 12 && err.code === "too_many_requests");
  }));

test("a 409 keeps the current item", () =>
  withFetch(json(409, { error: { code: "conflict", message: "m", current: { item_id: "x", revision: 3 } } }), async () => {
    await assert.rejects(new Api().push([]), (err) => err.current.revision === 3);
  }));

test("a proxy's page or no answer is a NetworkError", async () => {
  await withFetch(new Response("<html>bad gateway</html>", { status: 502 }), async () => {
    await assert.rejects(new Api().account(), NetworkError);
  });
  await withFetch(new TypeError("failed to fetch"), async () => {
    await assert.rejects(new Api().account(), NetworkError);
  });
});

test("wait texts are the CLI's", () => {
  assert.equal(waitText(1), "1 second");
  assert.equal(waitText(12.2), "13 seconds");
  assert.equal(waitText(600), "10 minutes");
  assert.equal(waitText(null), "a while");
  assert.ok(new SignInError("key_typo", "x") instanceof Error);
});
