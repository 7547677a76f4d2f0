// The browser's recovery code (src/safehold/server/static/js/recovery.js) against
// spec/vectors/recovery-v1.json, the same file Python passes.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import * as P from "../../src/safehold/server/static/js/protocol.js";
import * as R from "../../src/safehold/server/static/js/recovery.js";

const V = JSON.parse(readFileSync(new URL("../../spec/vectors/recovery-v1.json", import.meta.url), "utf8"));
const hex = P.bytesToHex;
const unhex = P.hexToBytes;

describe("recovery code text form (spec §9.2)", () => {
  for (const c of V.codes) {
    test(c.text.slice(0, 14), () => {
      assert.equal(R.recoveryCodeToText(unhex(c.secret)), c.text);
      assert.equal(hex(R.parseRecoveryCode(c.text)), c.secret);
    });
  }
  for (const c of V.code_parse_ok) {
    test(`reads ${JSON.stringify(c.input).slice(0, 30)}`, () => assert.equal(hex(R.parseRecoveryCode(c.input)), c.secret));
  }
  for (const c of V.code_parse_fail) {
    test(`refuses: ${c.why}`, () => {
      const expected = c.expect === "typo" ? R.RecoveryCodeTypo : R.RecoveryCodeFormat;
      assert.throws(() => R.parseRecoveryCode(c.input), expected);
    });
  }
});

describe("recovery keys and wrap (spec §9.2)", () => {
  for (const w of V.wraps) {
    test(`generation ${w.generation}`, async () => {
      const accountId = unhex(w.account_id);
      const keys = await R.recoveryKeys(R.parseRecoveryCode(w.code_text), accountId);
      assert.equal(hex(keys.rk), w.rk);
      assert.equal(hex(keys.ra), w.ra);
      assert.equal(hex(keys.authHash), w.auth_hash);
      assert.equal(R.recoveryAd(accountId, w.generation), w.ad);
      const wrapped = await R.sealRecovery(keys.rk, unhex(w.vk), accountId, w.generation, unhex(w.nonce));
      assert.equal(hex(wrapped), w.wrapped);
      assert.equal(hex(await R.openRecovery(keys.rk, unhex(w.wrapped), accountId, w.generation)), w.vk);
    });
  }
  for (const w of V.wrap_refuse) {
    test(`refuses: ${w.why}`, async () => {
      const accountId = unhex(w.account_id);
      const keys = await R.recoveryKeys(unhex(w.code_secret), accountId);
      await assert.rejects(R.openRecovery(keys.rk, unhex(w.wrapped), accountId, w.generation), P.TamperedData);
    });
  }
});

describe("buildRecovery", () => {
  test("re-wraps the same vault key under a new account key, for the same generation", async () => {
    const info = { email: "ann@example.com", account_id: "ab".repeat(16), generation: 4, kdf_params: { t: 1, m_kib: 8, p: 1 } };
    const vk = P.randomBytes(32);
    const floor = { t: 1, m_kib: 8, p: 1 };
    const built = await R.buildRecovery({ info, vk, ra: new Uint8Array(32), password: "pw", floor });
    assert.match(built.accountKeyText, /^SH1-/);
    const secret = P.parseAccountKey(built.accountKeyText);
    const keys = await P.deriveKeys({ email: info.email, password: "pw", accountKeySecret: secret,
      accountId: unhex(info.account_id), kdfSalt: P.b64urlDecode(built.request.kdf_salt), params: floor, floor });
    const opened = await P.openKeyset(keys.auk, P.b64urlDecode(built.request.keyset), unhex(info.account_id), 4);
    assert.equal(hex(opened), hex(vk));
    assert.equal(built.request.verifier, P.intToHex(P.srpVerifier(keys.srpX)));
    assert.equal(built.request.auth, P.b64urlEncode(new Uint8Array(32)));
  });
});
