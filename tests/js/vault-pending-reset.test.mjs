// The web vault's notice of a scheduled reset (static/js/vault/pending-reset.js) says
// what `safehold status` says: when it was asked, from where, when it takes effect.
// Run: node --test tests/js/

import assert from "node:assert/strict";
import { test } from "node:test";

import { describePending, untilText, utcText } from "../../src/safehold/server/static/js/vault/pending-reset.js";

test("times in the CLI's UTC format, and how long until", () => {
  assert.equal(utcText("2026-12-05T23:50:12.345678+00:00"), "2026-12-05 23:50 UTC");
  assert.equal(utcText("2026-12-05T23:50:00+02:00"), "2026-12-05 21:50 UTC");
  assert.equal(utcText("not a time"), "not a time");
  const now = new Date("2026-12-05T00:00:00Z");
  assert.equal(untilText("2026-12-05T00:01:00Z", now), "in 1 minute");
  assert.equal(untilText("2026-12-05T01:30:00Z", now), "in 90 minutes");
  assert.equal(untilText("2026-12-06T00:00:00Z", now), "in 24 hours");
  assert.equal(untilText("2026-12-10T00:00:00Z", now), "in 5 days");
  assert.equal(untilText("2026-12-04T00:00:00Z", now), "any moment now");
});

test("the notice names the time, the address and what a reset does", () => {
  const text = describePending(
    { requested_at: "2026-12-05T00:00:00Z", requested_from: "203.0.113.7", effective_at: "2026-12-06T00:00:00Z" },
    new Date("2026-12-05T00:00:00Z"),
  );
  assert.match(text, /requested on 2026-12-05 00:00 UTC from 203\.0\.113\.7\./);
  assert.match(text, /takes effect on 2026-12-06 00:00 UTC \(in 24 hours\)/);
  assert.match(text, /new password and account key, every device signed out/);
  assert.match(text, /If this was not you, cancel it/);
});

test("the server's words are shown with control and bidi characters escaped", () => {
  const text = describePending({ requested_at: "x\u202ey", requested_from: "1.2.3.4\u202e\u0007", effective_at: "2026-12-06T00:00:00Z" });
  assert.ok(!/[\u202e\u0007]/.test(text));
  assert.match(text, /from 1\.2\.3\.4\\u202e\\x07\./);
  assert.match(text, /requested on x\\u202ey from/);
});
