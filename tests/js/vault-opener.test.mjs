// The web vault's bulk record opener (static/js/vault/opener.js) opens exactly what
// protocol.js's openImported (v1) and openWrite (v2) open, and refuses the rest record by
// record, whatever order the records come in (it reuses one scratch buffer for all).
// Run: node --test tests/js/

import assert from "node:assert/strict";
import { test } from "node:test";

import * as P from "../../src/safehold/server/static/js/protocol.js";
import { Opener, PLAIN } from "../../src/safehold/server/static/js/vault/opener.js";

const ACCOUNT = P.hexToBytes("00112233445566778899aabbccddeeff");
const DEVICE = "ab".repeat(16);
const GEN = 3;

const id = (n) => n.toString(16).padStart(32, "0");
const item = (n, extra = "") => ({ v: 1, type: "login", title: `Item ${n} ${extra}`, fields: { username: `u${n}` } });

async function v1(vk, n, value = item(n)) {
  const env = await P.seal(vk, P.canonicalJson(value), P.itemAd(ACCOUNT, P.hexToBytes(id(n)), GEN));
  return { item_id: id(n), revision: 1, deleted: false, envelope: P.b64urlEncode(env), device: null, device_seq: null };
}

async function v2(vk, n, { revision = 1, seq = n, deleted = false, value = item(n), prev = null } = {}) {
  const claims = { itemId: id(n), revision, deleted, device: DEVICE, seq };
  const env = await P.sealWrite(vk, ACCOUNT, GEN, claims, deleted ? null : value, prev);
  return { item_id: id(n), revision, deleted, envelope: P.b64urlEncode(env), device: DEVICE, device_seq: seq };
}

function flip(text, at) {
  const c = text[at] === "A" ? "B" : "A";
  return text.slice(0, at) + c + text.slice(at + 1);
}

test("opens v1 and v2 records of every size, interleaved, as protocol.js does", async () => {
  const vk = await P.importEnvelopeKey(P.newVaultKey());
  const records = [];
  for (let n = 1; n <= 40; n++) {
    // Sizes from a few bytes to past the opener's first scratch buffer (it grows), and
    // revision / seq numbers of many lengths (the v2 AD's length varies).
    const value = item(n, "x".repeat((n * 397) % 9000));
    records.push(n % 3 ? await v2(vk, n, { revision: n * 1234567, seq: n ** 5, value, prev: n > 1 ? `${id(n - 1)}.1` : null }) : await v1(vk, n, value));
  }
  records.push(await v2(vk, 99, { deleted: true, revision: 2 }));
  records.push({ item_id: id(100), revision: 2, deleted: true, envelope: null, device: null, device_seq: null });
  const opener = new Opener({ vk, accountId: ACCOUNT, generation: GEN });
  const got = await opener.openAll(records);
  for (const [i, ch] of records.entries()) {
    if (ch.device) {
      const claims = { itemId: ch.item_id, revision: ch.revision, deleted: ch.deleted, device: ch.device, seq: ch.device_seq };
      const want = await P.openWrite(vk, ACCOUNT, GEN, claims, P.b64urlDecode(ch.envelope));
      assert.deepEqual(got[i], { v2: true, ...want });
    } else if (!ch.envelope) {
      assert.equal(got[i], PLAIN);
    } else {
      const want = JSON.parse(new TextDecoder().decode(await P.openImported(vk, P.b64urlDecode(ch.envelope), P.itemAd(ACCOUNT, P.hexToBytes(ch.item_id), GEN))));
      assert.deepEqual(got[i], { v2: false, value: want, prev: null });
    }
  }
  // Opened twice with the same opener: the scratch state left by one pull does not leak.
  assert.deepEqual(await opener.openAll([...records].reverse()), [...got].reverse());
});

test("refuses each bad record alone and opens the rest", async () => {
  const vk = await P.importEnvelopeKey(P.newVaultKey());
  const good1 = await v1(vk, 1);
  const good2 = await v2(vk, 2);
  const bad = [
    { ...(await v1(vk, 3)), envelope: flip((await v1(vk, 3)).envelope, 40) }, // tag fails
    { ...(await v2(vk, 4)), revision: 2 }, // a claim that was not sealed
    { ...(await v2(vk, 5)), device_seq: 6 },
    { ...(await v2(vk, 6)), deleted: true },
    { ...(await v1(vk, 7)), item_id: id(8) }, // another item's envelope
    { ...(await v1(vk, 9)), item_id: "not hex" },
    { ...(await v1(vk, 10)), envelope: (await v1(vk, 10)).envelope + "=" },
    { ...(await v1(vk, 11)), envelope: ` ${(await v1(vk, 11)).envelope}` },
    { ...(await v1(vk, 12)), envelope: "AAAA" }, // too short
    { ...(await v2(vk, 13)), device: "zz" },
    { ...(await v2(vk, 14)), device_seq: 0 },
    { ...(await v1(vk, 15)), device: DEVICE, device_seq: 1 }, // a v1 envelope claimed as v2
    await (async () => { // v1 sealed over something that is not an item
      const env = await P.seal(vk, P.canonicalJson([1, 2]), P.itemAd(ACCOUNT, P.hexToBytes(id(16)), GEN));
      return { item_id: id(16), revision: 1, deleted: false, envelope: P.b64urlEncode(env), device: null, device_seq: null };
    })(),
    { ...(await v2(vk, 17)), envelope: (await v1(vk, 17)).envelope }, // wrong AD version
    { ...(await v2(vk, 18)), envelope: undefined },
  ];
  const opener = new Opener({ vk, accountId: ACCOUNT, generation: GEN });
  const records = [good1, ...bad, good2];
  const got = await opener.openAll(records);
  assert.equal(got[0].value.title, "Item 1 ");
  assert.equal(got.at(-1).value.title, "Item 2 ");
  for (let i = 1; i <= bad.length; i++) assert.ok(got[i] instanceof Error, `record ${i} should be refused`);
  // The same records one at a time, as sync.js's openChange opens a push answer.
  await assert.rejects(opener.open(bad[0]), P.TamperedData);
  assert.equal((await opener.open(good2)).value.title, "Item 2 ");
});

/** A v2 write whose body is `body` exactly (bytes), padded and sealed with its claims' AD:
 * what a writer holding the key could seal, well-formed or not. */
async function v2Raw(vk, n, body, { deleted = false } = {}) {
  const claims = { itemId: id(n), revision: 1, deleted, device: DEVICE, seq: n };
  const env = await P.seal(vk, P.padPlaintext(body), P.writeAd(ACCOUNT, claims, GEN));
  return { item_id: id(n), revision: 1, deleted, envelope: P.b64urlEncode(env), device: DEVICE, device_seq: n };
}

test("bodies beyond ASCII, not UTF-8, or with a byte order mark are read as each would be alone", async () => {
  const vk = await P.importEnvelopeKey(P.newVaultKey());
  const enc = new TextEncoder();
  const body = (value) => P.canonicalJson({ prev: null, value });
  const ascii = await v2(vk, 1);
  const umlauts = await v2(vk, 2, { value: item(2, "Grüße, naïve café 🔐 \u202e") });
  const v1Other = await v1(vk, 3, item(3, "日本語"));
  const notUtf8 = await v2Raw(vk, 4, new Uint8Array([...enc.encode('{"prev":null,"value":{"t":"'), 0xff, ...enc.encode('"}}')]));
  const bom = await v2Raw(vk, 5, new Uint8Array([0xef, 0xbb, 0xbf, ...body(item(5))]));
  const twoInOne = await v2Raw(vk, 6, enc.encode('{"prev":null,"value":{}},{"prev":null,"value":{}}'));
  const opener = new Opener({ vk, accountId: ACCOUNT, generation: GEN });
  for (const records of [[ascii, umlauts, v1Other, notUtf8, bom, twoInOne], [ascii, bom], [bom, ascii], [notUtf8, ascii], [ascii, twoInOne, ascii]]) {
    const got = await opener.openAll(records);
    for (const [i, ch] of records.entries()) {
      if (ch === notUtf8 || ch === bom || ch === twoInOne) {
        assert.ok(got[i] instanceof P.TamperedData, `record ${ch.item_id} should be refused`);
        continue;
      }
      const want = ch.device
        ? { v2: true, ...(await P.openWrite(vk, ACCOUNT, GEN, { itemId: ch.item_id, revision: 1, deleted: false, device: DEVICE, seq: ch.device_seq }, P.b64urlDecode(ch.envelope))) }
        : { v2: false, value: item(3, "日本語"), prev: null };
      assert.deepEqual(got[i], want);
    }
  }
  // protocol.js alone refuses the same bodies.
  for (const ch of [notUtf8, bom]) {
    const claims = { itemId: ch.item_id, revision: 1, deleted: false, device: DEVICE, seq: ch.device_seq };
    await assert.rejects(P.openWrite(vk, ACCOUNT, GEN, claims, P.b64urlDecode(ch.envelope)), P.TamperedData);
  }
});
