// vault/codec.js's fast base64url decoder agrees with protocol.js's on every input.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as P from "../../src/safehold/server/static/js/protocol.js";
import { b64urlDecodeFast } from "../../src/safehold/server/static/js/vault/codec.js";

const V = JSON.parse(readFileSync(new URL("../../spec/vectors/protocol-v1.json", import.meta.url), "utf8"));

function outcome(fn, text) {
  try {
    return P.bytesToHex(fn(text));
  } catch (err) {
    return err instanceof P.CryptoError ? "refused" : `other: ${err}`;
  }
}

test("the same bytes and the same refusals as protocol.js", () => {
  const texts = ["", "A", "AA", "AB", "AAA", "AAB", "AAAA", "____", "-_-_", "ab=", "a+b/", "a b", "é", "QQ", "QR", "QUI", "QUJ"];
  for (const value of Object.values(V.encodings ?? {}).flat()) if (typeof value === "string") texts.push(value);
  for (let n = 0; n < 200; n++) texts.push(P.b64urlEncode(P.randomBytes(n % 50)));
  for (const text of texts) assert.equal(outcome(b64urlDecodeFast, text), outcome(P.b64urlDecode, text), text);
});

test("openImported opens what open opens and refuses what it refuses", async () => {
  for (const e of V.envelopes) {
    const key = await P.importEnvelopeKey(P.hexToBytes(e.key));
    assert.equal(P.bytesToHex(await P.openImported(key, P.hexToBytes(e.envelope), e.ad)), e.plaintext);
  }
  for (const f of V.envelope_failures) {
    const key = await P.importEnvelopeKey(P.hexToBytes(f.key));
    await assert.rejects(P.openImported(key, P.hexToBytes(f.envelope), f.ad), (err) => err instanceof P.TamperedData && err.message === "the data is damaged or was tampered with");
  }
});

test("b64urlDecodeInto writes what b64urlDecode returns and refuses what it refuses", async () => {
  const { b64urlDecodeInto, b64urlDecodedLength } = await import("../../src/safehold/server/static/js/vault/codec.js");
  const texts = ["", "A", "AA", "AB", "AAA", "AAB", "AAAA", "____", "-_-_", "ab=", "a+b/", "a b", "é", "QQ", "QR", "QUI", "QUJ", "QUJD\n", " QUJD"];
  for (let n = 0; n < 200; n++) texts.push(P.b64urlEncode(P.randomBytes(n % 50)));
  const into = (text) => {
    const target = new Uint8Array(b64urlDecodedLength(text.length) + 7).fill(0xee);
    const n = b64urlDecodeInto(text, target);
    return target.subarray(0, n);
  };
  for (const text of texts) assert.equal(outcome(into, text), outcome(P.b64urlDecode, text), text);
});
