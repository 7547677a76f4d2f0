// The reset page's password rule (static/js/strength.js, vendored zxcvbn 4.4.2) against
// Python's zxcvbn: both must give the same score to the passwords in zxcvbn-scores.json
// (written by make_zxcvbn_fixture.py), so the page and the CLI accept the same passwords.
// Run: node --test tests/js/

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  MAX_SCORED_LENGTH,
  MIN_SCORE,
  assessPassword,
  loadZxcvbn,
  userInputs,
} from "../../src/safehold/server/static/js/strength.js";

const fixture = JSON.parse(readFileSync(new URL("./zxcvbn-scores.json", import.meta.url), "utf8"));
const zxcvbn = await loadZxcvbn();

test("the fixture is a real list: ~30 passwords, every score from 0 to 4", () => {
  assert.ok(fixture.cases.length >= 30);
  assert.deepEqual([...new Set(fixture.cases.map((c) => c.score))].sort(), [0, 1, 2, 3, 4]);
});

test("the user inputs are the email and its local part, as on the Python side", () => {
  assert.deepEqual(userInputs(fixture.email), fixture.user_inputs);
  assert.deepEqual(userInputs(""), []);
});

test("JavaScript zxcvbn gives every fixture password Python's score", () => {
  const differ = [];
  for (const { password, score } of fixture.cases) {
    const got = assessPassword(zxcvbn, password, fixture.email);
    if (got.score !== score) differ.push(`${JSON.stringify(password)}: python ${score}, js ${got.score}`);
    assert.equal(got.acceptable, score >= MIN_SCORE, password);
  }
  assert.deepEqual(differ, []);
});

test("the audit's passwords are refused, each with zxcvbn's warning", () => {
  const email = "ann@example.com";
  for (const password of ["a".repeat(61), "passwordpassword", "iloveyouiloveyou", "1".repeat(68), email + email, email]) {
    const got = assessPassword(zxcvbn, password, email);
    assert.equal(got.acceptable, false, password);
    assert.ok(got.score < MIN_SCORE, password);
    assert.ok(got.warning || got.suggestions.length, `no advice for ${password}`);
  }
});

test("the empty password is its own case, not a weak one", () => {
  const got = assessPassword(zxcvbn, "", "ann@example.com");
  assert.equal(got.empty, true);
  assert.equal(got.acceptable, false);
  assert.equal(assessPassword(zxcvbn, "x", "ann@example.com").empty, false);
});

test("a passphrase is accepted and labelled; score and advice come from zxcvbn", () => {
  const got = assessPassword(zxcvbn, "brand new correct horse battery", "ann@example.com");
  assert.equal(got.score, 4);
  assert.equal(got.label, "Strong");
  assert.equal(got.acceptable, true);
  const weak = assessPassword(zxcvbn, "password1", "ann@example.com");
  assert.equal(weak.warning, zxcvbn("password1", userInputs("ann@example.com")).feedback.warning);
});

test("only the first 72 characters are scored, as in Python", () => {
  assert.equal(MAX_SCORED_LENGTH, 72);
  const weakStart = "a".repeat(72) + "correct horse battery staple";
  assert.equal(assessPassword(zxcvbn, weakStart, "ann@example.com").acceptable, false);
  // Counted in characters, not UTF-16 units: 72 emoji are 144 units.
  const emoji = "🔑".repeat(80);
  const seen = [];
  assessPassword((p, inputs) => (seen.push(p), zxcvbn("x", inputs)), emoji, "ann@example.com");
  assert.equal([...seen[0]].length, 72);
});
