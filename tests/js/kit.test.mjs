// The Emergency Kit builder used by the reset page (the meter: strength.test.mjs).
// Run: node --test tests/js/

import assert from "node:assert/strict";
import { test } from "node:test";

import { kitPdf, qrMatrix } from "../../src/safehold/server/static/js/kit.js";

const kit = {
  server: "https://vault.example.com:8420",
  email: "jürgen@example.com",
  accountKeyText: "SH1-09SN-ZWNG-4XD4-NY20-HDJY-KRHN-2Z02",
  uri: "safehold://kit?v=1&server=https%3A%2F%2Fvault.example.com%3A8420&email=j%C3%BCrgen%40example.com&key=SH1-09SN-ZWNG-4XD4-NY20-HDJY-KRHN-2Z02",
  created: new Date("2025-01-02T03:04:05Z"),
};

test("the QR matrix is square and has the three finder patterns", () => {
  const m = qrMatrix(kit.uri);
  assert.ok(m.length >= 21 && (m.length - 17) % 4 === 0);
  for (const row of m) assert.equal(row.length, m.length);
  const n = m.length;
  for (const [r, c] of [[0, 0], [0, n - 7], [n - 7, 0]]) {
    assert.ok(m[r][c] && m[r + 6][c + 6] && m[r + 3][c + 3] && !m[r + 1][c + 1], `finder at ${r},${c}`);
  }
});

test("the kit PDF is one page, ASCII, with a cross-reference table that points at its objects", () => {
  const bytes = kitPdf(kit);
  const text = new TextDecoder("latin1").decode(bytes);
  assert.ok(bytes.every((b) => b < 0x80), "pure ASCII");
  assert.match(text, /^%PDF-1\.4\n/);
  assert.match(text, /%%EOF\n$/);
  assert.equal((text.match(/\/Type \/Page\b/g) || []).length, 1);
  const startxref = Number(text.match(/startxref\n(\d+)\n/)[1]);
  assert.equal(text.slice(startxref, startxref + 4), "xref");
  const entries = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
  entries.forEach((offset, i) => assert.equal(text.slice(offset, offset + `${i + 1} 0 obj`.length), `${i + 1} 0 obj`));
  const length = Number(text.match(/\/Length (\d+) >>\nstream\n/)[1]);
  const start = text.indexOf("stream\n") + "stream\n".length;
  assert.equal(text.slice(start + length, start + length + "\nendstream".length), "\nendstream");
  // The key and the email (Latin-1 as an octal escape) are in it; no password field value.
  assert.ok(text.includes("(SH1-09SN-ZWNG-4XD4-NY20-HDJY-KRHN-2Z02)"));
  assert.ok(text.includes("(j\\374rgen@example.com)"));
  // A sign-in command that works on a new device (it names the server), with no key in it.
  assert.ok(text.includes(`safehold --server ${kit.server} login j\\374rgen@example.com`));
  assert.ok(!/--account-key/.test(text));
});
