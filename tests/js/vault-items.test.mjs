// The web vault's item model and merge (static/js/vault/items.js, merge.js) against the
// language-neutral vectors spec/vectors/items-v1.json, which Python's model passes too.
// Run: node --test tests/js/

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { bytesToHex } from "../../src/safehold/server/static/js/protocol.js";
import * as I from "../../src/safehold/server/static/js/vault/items.js";
import { conflictCopy, mergeItems } from "../../src/safehold/server/static/js/vault/merge.js";
import { TEMPLATES, templateFor } from "../../src/safehold/server/static/js/vault/templates.js";

const root = new URL("../../", import.meta.url);
const V = JSON.parse(readFileSync(new URL("spec/vectors/items-v1.json", root), "utf8"));

describe("items-v1.json: valid items", () => {
  for (const v of V.valid) {
    test(v.name, () => {
      const item = I.readItem(v.item);
      assert.equal(bytesToHex(I.itemBytes(item)), v.canonical_hex);
      // Written back and read again: the same bytes (nothing dropped, nothing added).
      assert.equal(bytesToHex(I.itemBytes(I.readItem(JSON.parse(JSON.stringify(item))))), v.canonical_hex);
    });
  }
});

describe("items-v1.json: invalid items are refused with Python's message", () => {
  for (const v of V.invalid) {
    test(v.name, () => {
      assert.throws(() => I.readItem(v.item), (err) => err instanceof I.InvalidItem && err.message === v.error);
    });
  }
});

describe("items-v1.json: merges", () => {
  for (const v of V.merges) {
    test(v.name, () => {
      const { merged, conflicts } = mergeItems(v.base, v.local, v.remote);
      assert.equal(I.canonicalKey(merged), I.canonicalKey(v.merged));
      assert.deepEqual(conflicts, v.conflicts);
      assert.equal(conflicts.length > 0, v.conflict_copy);
    });
  }
});

describe("merge rules beyond the vectors (client/merge.py)", () => {
  const base = I.readItem({ v: 1, type: "login", title: "S", fields: { password: "a" }, created: "2024-01-01T00:00:00Z", modified: "2024-01-01T00:00:00Z" });
  test("an edit takes a trashed item back out of the trash", () => {
    const local = I.toTrash(base, "2024-02-01T00:00:00Z");
    const remote = { ...base, title: "S2", modified: "2024-02-02T00:00:00Z" };
    const { merged } = mergeItems(base, local, remote);
    assert.equal(merged.trashed_at, undefined);
    assert.equal(merged.title, "S2");
  });
  test("history is a union, ordered, and modified is the later", () => {
    const local = { ...base, history: [{ field: "password", value: "x", changed: "2024-03-01T00:00:00Z" }], modified: "2024-03-01T00:00:00Z" };
    const remote = { ...base, history: [{ field: "password", value: "y", changed: "2024-02-01T00:00:00Z" }], modified: "2024-02-01T00:00:00Z" };
    const { merged, conflicts } = mergeItems(base, local, remote);
    assert.deepEqual(merged.history.map((h) => h.value), ["y", "x"]);
    assert.equal(merged.modified, "2024-03-01T00:00:00Z");
    assert.deepEqual(conflicts, []);
  });
  test("custom fields merge by name", () => {
    const b = { ...base, custom: [{ name: "A", kind: "text", value: "1" }] };
    const l = { ...b, custom: [{ name: "A", kind: "text", value: "1" }, { name: "L", kind: "text", value: "l" }] };
    const r = { ...b, custom: [{ name: "A", kind: "text", value: "2" }] };
    const { merged } = mergeItems(b, l, r);
    assert.deepEqual(merged.custom.map((c) => `${c.name}=${c.value}`), ["A=2", "L=l"]);
  });
  test("a conflict copy carries the marks and the local values", () => {
    const copy = conflictCopy("00112233445566778899aabbccddeeff", { ...base, fields: { password: "mine" } }, "Web browser", new Date("2024-05-02T08:30:00Z"));
    assert.equal(copy.conflict_of, "00112233445566778899aabbccddeeff");
    assert.equal(copy.fields.password, "mine");
    assert.match(copy.title, /^S \(conflict copy from Web browser, 2024-05-02 08:30\)$/);
    assert.ok(I.isConflictCopy(I.readItem(copy)));
  });
});

describe("edits, search, display", () => {
  const login = templateFor("login");
  test("a replaced or removed hidden value goes to the history", () => {
    const old = I.readItem({ v: 1, type: "login", title: "S", fields: { password: "old", username: "u" }, custom: [{ name: "PIN", kind: "hidden", value: "1" }], created: "2024-01-01T00:00:00Z", modified: "2024-01-01T00:00:00Z" });
    const next = I.applyEdit(old, { fields: { password: "new", username: "u2" }, custom: [] }, login, "2024-06-01T00:00:00Z");
    assert.deepEqual(next.history.map((h) => [h.field, h.value]), [["password", "old"], ["PIN", "1"]]);
    assert.equal(next.modified, "2024-06-01T00:00:00Z");
    const same = I.applyEdit(next, { fields: { ...next.fields }, custom: [] }, login, "2024-07-01T00:00:00Z");
    assert.equal(same.modified, "2024-06-01T00:00:00Z", "an unchanged form does not move modified");
  });
  test("search never looks inside hidden values, TOTP or history", () => {
    const item = I.readItem({ v: 1, type: "login", title: "Bank", fields: { username: "jo", password: "hunter2", one_time_password: "JBSWY3DPEHPK3PXP" }, custom: [{ name: "PIN", kind: "hidden", value: "4321" }, { name: "Note", kind: "text", value: "blue" }], history: [{ field: "password", value: "oldsecret", changed: "2024-01-01T00:00:00Z" }], created: "2024-01-01T00:00:00Z", modified: "2024-01-01T00:00:00Z" });
    for (const hidden of ["hunter2", "4321", "JBSWY", "oldsecret"]) assert.equal(I.itemMatches(item, hidden, login), false, hidden);
    for (const shown of ["bank", "JO", "blue"]) assert.equal(I.itemMatches(item, shown, login), true, shown);
  });
  test("an unknown type shows its stored fields, a password-like name hidden", () => {
    const item = I.readItem({ v: 1, type: "rocket", title: "R", fields: { stage: "3", launch_password: "x" }, created: "2024-01-01T00:00:00Z", modified: "2024-01-01T00:00:00Z" });
    const shown = I.displayFields(item, I.itemTemplate(item));
    assert.deepEqual(shown.map((f) => [f.label, f.kind]), [["stage", "text"], ["launch_password", "hidden"]]);
    assert.equal(I.itemMatches(item, "x", I.itemTemplate(item)), false);
  });
  test("custom field names are checked as spec/items.md §3", () => {
    assert.throws(() => I.checkCustom([{ name: "Password", kind: "text", value: "v" }], login, () => {}), /already has a field/);
    assert.throws(() => I.checkCustom([{ name: "--", kind: "text", value: "v" }], login, () => {}), /no letters or digits/);
    assert.throws(() => I.checkCustom([{ name: "Notes", kind: "text", value: "v" }], login, () => {}), /reserved/);
    I.checkCustom([{ name: "Recovery email", kind: "text", value: "v" }], login, () => {});
  });
  test("the size limit says what the CLI says", () => {
    assert.throws(() => I.checkEnvelopeSize(800_000, "Big"), (e) => e instanceof I.ItemTooLarge && /^the item 'Big' is too large to sync: 1,066,667 characters encrypted/.test(e.message));
  });
  test("every built-in type is there", () => {
    assert.equal(TEMPLATES.length, 17);
  });
});
