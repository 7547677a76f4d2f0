// The web vault's sync (static/js/vault/sync.js) against an in-memory server that keeps
// the API's rules (revisions, compare-and-swap, seq, cursor) and can lie: the merge on a
// 409, conflict copies, quarantine, rollback, forged deletions, v1 and v2 records.
// Run: node --test tests/js/

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as P from "../../src/safehold/server/static/js/protocol.js";
import { readItem } from "../../src/safehold/server/static/js/vault/items.js";
import { Vault } from "../../src/safehold/server/static/js/vault/sync.js";

const ACCOUNT = P.hexToBytes("00112233445566778899aabbccddeeff");
const OTHER_DEVICE = "ab".repeat(16);

class FakeServer {
  constructor() {
    this.items = new Map(); // id → change
    this.seq = 0;
  }
  changes(since, limit) {
    const all = [...this.items.values()].filter((c) => c.seq > since).sort((a, b) => a.seq - b.seq);
    const page = all.slice(0, limit);
    return { generation: 1, changes: page.map((c) => ({ ...c })), cursor: page.length ? page.at(-1).seq : this.seq, has_more: all.length > limit };
  }
  write(w) {
    const cur = this.items.get(w.item_id);
    const rev = cur ? cur.revision : 0;
    if (rev !== w.base_revision) return { item_id: w.item_id, status: "conflict", current: cur ? { ...cur } : null };
    this.seq += 1;
    const change = { item_id: w.item_id, seq: this.seq, revision: rev + 1, deleted: Boolean(w.deleted) || w.envelope === null, envelope: w.envelope, updated_at: "2026-01-01T00:00:00Z", device: w.device ?? null, device_seq: w.device_seq ?? null };
    this.items.set(w.item_id, change);
    return { item_id: w.item_id, status: "ok", revision: change.revision, seq: change.seq };
  }
  api() {
    return {
      changes: async (since, limit) => this.changes(since, limit),
      push: async (writes) => ({ generation: 1, results: writes.map((w) => this.write(w)) }),
    };
  }
}

const item = (title, fields = {}) => readItem({ v: 1, type: "login", title, fields, created: "2024-01-01T00:00:00Z", modified: "2024-01-01T00:00:00Z" });

async function setup(server) {
  const raw = P.newVaultKey();
  const vk = await P.importEnvelopeKey(raw);
  const session = { api: server.api(), vk, accountId: ACCOUNT, generation: 1, deviceId: "cd".repeat(16), deviceName: "Web vault (test)" };
  return { raw, vk, session };
}

async function v1Write(server, vk, id, value) {
  const cur = server.items.get(id);
  const env = await P.seal(vk, P.canonicalJson(value), P.itemAd(ACCOUNT, P.hexToBytes(id), 1));
  return server.write({ item_id: id, base_revision: cur ? cur.revision : 0, envelope: P.b64urlEncode(env) });
}

let otherSeq = 0;
async function v2Write(server, vk, id, value, { deleted = false } = {}) {
  const cur = server.items.get(id);
  const base = cur ? cur.revision : 0;
  otherSeq += 1;
  const claims = { itemId: id, revision: base + 1, deleted, device: OTHER_DEVICE, seq: otherSeq };
  const env = await P.sealWrite(vk, ACCOUNT, 1, claims, deleted ? null : value, null);
  return server.write({ item_id: id, base_revision: base, envelope: P.b64urlEncode(env), deleted, device: OTHER_DEVICE, device_seq: otherSeq });
}

const ID1 = "11".repeat(16);
const ID2 = "22".repeat(16);

describe("web vault sync", () => {
  test("pulls v1 items and pushes an edit as a v2 write of this device", async () => {
    const server = new FakeServer();
    const { vk, session } = await setup(server);
    await v1Write(server, vk, ID1, item("One", { username: "a" }));
    const vault = new Vault(session);
    await vault.sync();
    assert.equal(vault.visible().length, 1);
    const edited = { ...vault.get(ID1).local, title: "One (v2)" };
    vault.save(ID1, edited);
    await vault.sync();
    const stored = server.items.get(ID1);
    assert.equal(stored.device, session.deviceId);
    assert.equal(stored.device_seq, 1);
    const claims = { itemId: ID1, revision: 2, deleted: false, device: stored.device, seq: 1 };
    const opened = await P.openWrite(vk, ACCOUNT, 1, claims, P.b64urlDecode(stored.envelope));
    assert.equal(opened.value.title, "One (v2)");
    assert.equal(opened.prev, null, "the first write of this device");
  });

  test("v1 envelopes only when asked (a vault shared with v1-only devices)", async () => {
    const server = new FakeServer();
    const { vk, session } = await setup(server);
    await v1Write(server, vk, ID1, item("One", { username: "a" }));
    const vault = new Vault(session);
    vault.writeV2 = false;
    await vault.sync();
    assert.equal(vault.visible().length, 1);
    const e = vault.get(ID1);
    vault.save(ID1, { ...e.local, title: "One (edited)" });
    await vault.sync();
    const stored = server.items.get(ID1);
    assert.equal(stored.revision, 2);
    assert.equal(stored.device, null, "a v1 vault gets v1 envelopes");
    const opened = JSON.parse(new TextDecoder().decode(await P.open(vk, P.b64urlDecode(stored.envelope), P.itemAd(ACCOUNT, P.hexToBytes(ID1), 1))));
    assert.equal(opened.title, "One (edited)");
  });

  test("writes v2 once the vault holds v2 records; a 409 merges field by field with a conflict copy", async () => {
    const server = new FakeServer();
    const { vk, session } = await setup(server);
    await v2Write(server, vk, ID1, item("Site", { username: "jo", password: "one" }));
    const vault = new Vault(session);
    await vault.sync();
    // Another device changes the password and the username meanwhile.
    await v2Write(server, vk, ID1, item("Site", { username: "joanna", password: "remote" }));
    const local = structuredClone(vault.get(ID1).local);
    local.fields.password = "local";
    local.notes = "typed here";
    vault.save(ID1, local);
    await vault.push();
    await vault.sync();
    const merged = vault.get(ID1).local;
    assert.equal(merged.fields.password, "remote");
    assert.equal(merged.fields.username, "joanna");
    assert.equal(merged.notes, "typed here");
    assert.equal(vault.conflicts.length, 1);
    const copy = vault.get(vault.conflicts[0].copyId).local;
    assert.equal(copy.fields.password, "local");
    assert.equal(copy.conflict_of, ID1);
    // Both reached the server as sealed v2 writes of this device.
    const stored = server.items.get(ID1);
    assert.equal(stored.device, session.deviceId);
    const open = await P.openWrite(vk, ACCOUNT, 1, { itemId: ID1, revision: stored.revision, deleted: false, device: stored.device, seq: stored.device_seq }, P.b64urlDecode(stored.envelope));
    assert.equal(open.value.notes, "typed here");
    assert.ok(server.items.get(vault.conflicts[0].copyId));
  });

  test("a damaged record is quarantined and the rest still syncs", async () => {
    const server = new FakeServer();
    const { vk, session } = await setup(server);
    await v2Write(server, vk, ID1, item("Good"));
    await v2Write(server, vk, ID2, item("Bad"));
    const bad = server.items.get(ID2);
    bad.envelope = bad.envelope.slice(0, -4) + (bad.envelope.endsWith("AAAA") ? "BBBB" : "AAAA");
    const vault = new Vault(session);
    await vault.sync();
    assert.deepEqual(vault.visible().map((e) => e.local.title), ["Good"]);
    assert.ok(vault.quarantine.has(ID2));
    await vault.sync(); // retried, still damaged
    assert.ok(vault.quarantine.has(ID2));
    // A later record of the item opens: it leaves quarantine.
    server.items.set(ID2, { ...bad, revision: 0 });
    await v2Write(server, vk, ID2, item("Bad, rewritten"));
    await vault.sync();
    assert.equal(vault.quarantine.has(ID2), false);
    assert.deepEqual(vault.visible().map((e) => e.local.title).sort(), ["Bad, rewritten", "Good"]);
  });

  test("a rollback is refused and a deletion without a sealed tombstone removes nothing", async () => {
    const server = new FakeServer();
    const { vk, session } = await setup(server);
    await v2Write(server, vk, ID1, item("v1"));
    const old = { ...server.items.get(ID1) };
    await v2Write(server, vk, ID1, item("v2"));
    const vault = new Vault(session);
    await vault.sync();
    assert.equal(vault.get(ID1).local.title, "v2");
    // The server serves the old record again, under a new seq.
    server.seq += 1;
    server.items.set(ID1, { ...old, seq: server.seq });
    await vault.sync();
    assert.equal(vault.get(ID1).local.title, "v2");
    assert.ok(vault.problems.some((p) => p.kind === "rollback" && p.item === ID1));
    // A plain tombstone: the server's word only.
    server.seq += 1;
    server.items.set(ID1, { item_id: ID1, seq: server.seq, revision: 9, deleted: true, envelope: null, updated_at: "x", device: null, device_seq: null });
    await vault.sync();
    assert.equal(vault.get(ID1).local.title, "v2");
    assert.ok(vault.problems.some((p) => p.kind === "unsealed_delete"));
  });

  test("a sealed tombstone from another device removes the item", async () => {
    const server = new FakeServer();
    const { vk, session } = await setup(server);
    await v2Write(server, vk, ID1, item("Gone soon"));
    const vault = new Vault(session);
    await vault.sync();
    await v2Write(server, vk, ID1, null, { deleted: true });
    await vault.sync();
    assert.equal(vault.visible().length, 0);
  });

  test("the size limit is the CLI's", async () => {
    const server = new FakeServer();
    const { session } = await setup(server);
    const vault = new Vault(session);
    assert.throws(() => vault.save(null, { ...item("Huge"), notes: "x".repeat(900_000) }), /too large to sync/);
    assert.equal(vault.entries.size, 0, "nothing was saved");
  });

  test("edits kept sealed over a lock are merged and sent after the next sign-in", async () => {
    const server = new FakeServer();
    const { vk, session } = await setup(server);
    await v2Write(server, vk, ID1, item("Site", { username: "jo", password: "one" }));
    const vault = new Vault(session);
    await vault.sync();
    // Typed while the server is down; the page locks.
    const failing = { ...session.api, push: async () => { throw new Error("offline"); } };
    vault.session = { ...session, api: failing };
    const local = structuredClone(vault.get(ID1).local);
    local.fields.password = "typed";
    local.notes = "typed here too";
    vault.save(ID1, local);
    vault.save(null, item("New here", { username: "new" }));
    await assert.rejects(vault.sync());
    const held = await vault.sealPending();
    vault.clear();
    assert.equal(held.edits.length, 2);
    const text = JSON.stringify(held, (k, v) => (v instanceof Uint8Array ? P.bytesToHex(v) : v));
    for (const plain of ["typed", "New here", "Site", "jo"]) assert.ok(!text.includes(plain), "no plaintext kept");
    // Meanwhile another device changed the same password and the username.
    await v2Write(server, vk, ID1, item("Site", { username: "joanna", password: "remote" }));
    // The next sign-in (a new session and device, the same vault key).
    const again = new Vault({ ...session, deviceId: "ef".repeat(16) });
    assert.equal(await again.restorePending(held), 0);
    await again.sync();
    assert.equal(again.unsynced(), 0);
    const merged = again.get(ID1).local;
    assert.equal(merged.fields.username, "joanna");
    assert.equal(merged.notes, "typed here too");
    assert.equal(again.conflicts.length, 1, "the same field changed on both sides: a conflict copy");
    assert.equal(again.get(again.conflicts[0].copyId).local.fields.password, "typed");
    assert.equal(again.visible().filter((e) => e.view.item.title === "New here").length, 1);
    assert.equal(server.items.size, 3);
    // Sealed under other keys (the account was reset since): reported, not opened.
    const other = new Vault({ ...session, vk: await P.importEnvelopeKey(P.newVaultKey()) });
    assert.equal(await other.restorePending(held), 2);
    assert.equal(other.unsynced(), 0);
  });
});
