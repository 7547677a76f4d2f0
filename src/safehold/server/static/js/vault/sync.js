// The web vault's items in memory and their sync with the server, as client/sync.py does it:
// pull the changes since the cursor, push edits with the revision they were based on, and
// merge a push that meets a newer revision field by field (merge.js), keeping a conflict
// copy where both sides changed the same field. Nothing here is ever written to storage:
// a reload or a lock forgets it all.
//
// Records of protocol version 2 (spec §11) are opened with exactly the claims the server
// gave and checked as §11.4 says: a record that does not open is quarantined (kept aside,
// reported, retried next pull, never stops the rest); a revision lower than one already
// opened (rollback) or the same revision with other content (fork) is refused and
// reported; a deletion the server claims without a sealed tombstone removes nothing once
// the vault speaks v2; after a complete pull, sequence gaps that no later revision
// explains are reported as withheld writes.
//
// Writes are sealed as v2 writes (protocol.js sealWrite, this tab's device id; app.js hands
// the sequence number on from a locked vault to the next, so none is ever reused). v1 records are still read (§11.6: the CLI's first v2
// sync rewrites them); `writeV2 = false` (v1 envelopes) remains only for a test of a vault
// shared with devices that read v1 alone.

import {
  b64urlEncode,
  bytesToHex,
  canonicalJson,
  hexToBytes,
  itemAd,
  open,
  paddedLength,
  seal,
  sealWrite,
  strictUtf8,
} from "../protocol.js";
import { ApiError } from "./api.js";
import { canonicalKey, checkEnvelopeSize, isConflictCopy, isTrashed, itemTemplate, readItem, searchText, userTemplates } from "./items.js";
import { conflictCopy, mergeItems } from "./merge.js";
import { Opener } from "./opener.js";
import { TEMPLATE_TYPE } from "./templates.js";

export const PULL_PAGE = 1000;
export const PUSH_BATCH = 500;
const MAX_PUSH_ROUNDS = 8;
const PLAIN_TOMBSTONE = Symbol("plain tombstone");

// What a record said, compared only when two records claim one revision (a fork), so a
// large pull does not serialise every item a second time.
function sameContent(a, b) {
  if (a === b) return true;
  if (typeof a === "symbol" || typeof b === "symbol" || a === null || b === null) return false;
  return canonicalKey(a) === canonicalKey(b);
}

/** The account was reset elsewhere or this session ended: the page must sign in again. */
export class SessionEnded extends Error {
  constructor(message, code) {
    super(message);
    this.name = "SessionEnded";
    this.code = code;
  }
}

/** The SessionEnded an API refusal means (the account reset, the session gone), or null. */
export function sessionEnded(err) {
  if (!(err instanceof ApiError && (err.status === 410 || err.status === 401))) return null;
  return new SessionEnded(
    err.status === 410
      ? "This account was reset on another device. Sign in with the new Emergency Kit."
      : err.code === "session_revoked"
        ? `This session was ended (${err.reason ?? "signed out elsewhere"}). Sign in again.`
        : "This session is no longer valid. Sign in again.",
    err.code,
  );
}

function newItemId() {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * One item as this page holds it: `remote` is the last server state opened (the merge
 * base), `local` the current value (differs while `dirty`), `revision` the server revision
 * `local` is based on.
 */
class Entry {
  constructor(id) {
    this.id = id;
    this.revision = 0;
    this.remote = null;
    this.local = null;
    this.dirty = false;
    this.view = null; // {item, template, search, error} computed from local
  }
}

export class Vault {
  constructor(session) {
    this.session = session;
    this.entries = new Map();
    this.cursor = 0;
    this.writeV2 = true;
    this.deviceSeq = 0;
    this.lastSealed = null;
    this.seen = new Map(); // item → [highest revision opened, canonical content]
    this.devices = new Map(); // device → {max, opened: Set, prevs: Map<seq, prev>}
    this.quarantine = new Map(); // item → {revision, device, seq, since}
    this.problems = []; // {kind, item, detail}
    this.conflicts = []; // conflict copies made by this page: {itemId, copyId, title}
    this.rejected = [];
    this.templates = [];
    this.running = null;
    this.lastSync = null;
    this.listeners = new Set();
    /** Milliseconds spent per phase (bench/web.py prints them). */
    this.timings = { fetch: 0, open: 0, apply: 0, refresh: 0 };
    this.pushedAny = false;
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit() {
    for (const fn of this.listeners) fn(this);
  }

  // --- reading -----------------------------------------------------------------------

  /** The items a list shows: not trashed, not type definitions, readable or not. */
  visible() {
    const out = [];
    for (const e of this.entries.values()) {
      const v = e.view;
      if (!v || !e.local) continue;
      if (v.error) {
        out.push(e);
        continue;
      }
      if (v.item.type === TEMPLATE_TYPE || isTrashed(v.item)) continue;
      out.push(e);
    }
    return out;
  }

  /** Items in the trash (deleted here or elsewhere, restorable until purged). */
  trashed() {
    return [...this.entries.values()].filter((e) => e.view?.item && e.view.item.type !== TEMPLATE_TYPE && isTrashed(e.view.item));
  }

  get(id) {
    return this.entries.get(id) ?? null;
  }

  unsynced() {
    return [...this.entries.values()].filter((e) => e.dirty).length;
  }

  refreshView(entry) {
    if (!entry.local) {
      entry.view = null;
      return;
    }
    try {
      const item = readItem(entry.local);
      const template = itemTemplate(item, this.templates);
      entry.view = { item, template, search: searchText(item, template), error: null };
    } catch (err) {
      entry.view = { item: null, template: null, search: "", error: err.message };
    }
  }

  refreshAll() {
    this.templates = userTemplates([...this.entries.values()].map((e) => e.local).filter((v) => v && v.type === TEMPLATE_TYPE));
    for (const e of this.entries.values()) this.refreshView(e);
  }

  // --- opening records ---------------------------------------------------------------

  /** The page's record opener (opener.js), made once per vault. */
  get opener() {
    this._opener ??= new Opener(this.session);
    return this._opener;
  }

  /** One record opened: {v2, value, prev[, plain]}; throws if it does not open. */
  openChange(ch) {
    return this.opener.open(ch);
  }

  /**
   * Every record of a page opened at once: one result per record, null where the record
   * was quarantined (it did not open; kept aside and tried again at the next pull).
   */
  async openPage(changes) {
    const results = await this.opener.openAll(changes);
    for (let i = 0; i < changes.length; i++) {
      const ch = changes[i];
      if (!(results[i] instanceof Error)) {
        if (this.quarantine.size) this.quarantine.delete(ch.item_id);
        continue;
      }
      results[i] = null;
      const old = this.quarantine.get(ch.item_id);
      this.quarantine.set(ch.item_id, { revision: ch.revision, device: ch.device ?? null, seq: ch.device_seq ?? null, since: old?.since ?? new Date().toISOString(), change: ch });
    }
    return results;
  }

  /** Opened or quarantined; null when quarantined. */
  async openOrQuarantine(ch) {
    return (await this.openPage([ch]))[0];
  }

  note(kind, item, detail) {
    if (!this.problems.some((p) => p.kind === kind && p.item === item && p.detail === detail)) this.problems.push({ kind, item, detail });
  }

  trackSeq(ch, opened) {
    if (!opened.v2) return;
    this.writeV2 = true;
    let d = this.devices.get(ch.device);
    if (!d) this.devices.set(ch.device, (d = { max: 0, opened: new Set(), prevs: new Map() }));
    d.opened.add(ch.device_seq);
    d.max = Math.max(d.max, ch.device_seq);
    d.prevs.set(ch.device_seq, opened.prev);
  }

  // --- pull --------------------------------------------------------------------------

  async pull() {
    const api = this.session.api;
    const t = this.timings;
    // §11.5: quarantined records are tried again at every sync (a later record of the
    // same item, if one comes, replaces them below).
    for (const [id, q] of [...this.quarantine]) {
      const opened = await this.openOrQuarantine(q.change);
      if (opened) {
        this.quarantine.delete(id);
        this.apply(q.change, opened);
      }
    }
    let next = api.changes(this.cursor, PULL_PAGE);
    for (;;) {
      let t0 = performance.now();
      const page = await next;
      t.fetch += performance.now() - t0;
      const moved = page.cursor > this.cursor;
      // The next page is fetched while this one is opened.
      if (page.has_more && moved) next = api.changes(page.cursor, PULL_PAGE);
      t0 = performance.now();
      // Open in parallel (WebCrypto is asynchronous), apply in order.
      const opened = await this.openPage(page.changes);
      t.open += performance.now() - t0;
      t0 = performance.now();
      page.changes.forEach((ch, i) => {
        if (opened[i]) this.apply(ch, opened[i]);
      });
      t.apply += performance.now() - t0;
      this.cursor = Math.max(this.cursor, page.cursor);
      if (!page.has_more || !moved) break;
    }
    this.checkGaps();
    const t0 = performance.now();
    this.refreshAll();
    t.refresh += performance.now() - t0;
  }

  apply(ch, opened) {
    this.trackSeq(ch, opened);
    const id = ch.item_id;
    const [seenRev, seenValue] = this.seen.get(id) ?? [0, undefined];
    const content = opened.plain ? PLAIN_TOMBSTONE : opened.value;
    if (ch.revision < seenRev) {
      this.note("rollback", id, `the server offered revision ${ch.revision} after revision ${seenRev} was opened; the newer copy is kept`);
      return;
    }
    if (ch.revision === seenRev) {
      if (seenValue !== undefined && sameContent(content, seenValue) === false) this.note("fork", id, `two different records claim revision ${ch.revision}; the one opened first is kept`);
      return;
    }
    let entry = this.entries.get(id);
    if (opened.plain && this.writeV2) {
      // §11.4 (3): a deletion only counts sealed. Nothing is removed on the server's word.
      if (entry?.local) this.note("unsealed_delete", id, "the server says this item was deleted, without a sealed tombstone; it is kept");
      return;
    }
    this.seen.set(id, [ch.revision, content]);
    if (!entry) {
      entry = new Entry(id);
      this.entries.set(id, entry);
    }
    if (!entry.dirty) {
      entry.revision = ch.revision;
      entry.remote = opened.value;
      entry.local = opened.value;
    } else {
      this.resolve(entry, ch.revision, opened.value);
    }
  }

  /** The server moved on while this page edited `entry`: combine the two (sync._resolve). */
  resolve(entry, revision, remote) {
    if (remote === null) {
      // Deleted there, edited here: the edit is kept and pushed over the tombstone.
      entry.revision = revision;
      entry.remote = null;
      return;
    }
    const { merged, conflicts } = mergeItems(entry.remote, entry.local, remote);
    if (conflicts.length) {
      const copyId = newItemId();
      const copy = conflictCopy(entry.id, entry.local, this.session.deviceName);
      const e = new Entry(copyId);
      e.local = copy;
      e.dirty = true;
      this.entries.set(copyId, e);
      this.conflicts.push({ itemId: entry.id, copyId, title: copy.title });
    }
    entry.revision = revision;
    entry.remote = remote;
    entry.local = merged;
    entry.dirty = canonicalKey(merged) !== canonicalKey(remote);
  }

  checkGaps() {
    for (const [device, d] of this.devices) {
      if (device === this.session.deviceId) continue;
      for (let s = 1; s < d.max; s++) {
        if (d.opened.has(s) || !d.prevs.has(s + 1)) continue;
        const prev = d.prevs.get(s + 1);
        if (prev === null) continue;
        const [item, rev] = prev.split(".");
        const seenRev = this.seen.get(item)?.[0] ?? 0;
        if (seenRev < Number(rev)) this.note("withheld", item, `write ${s} of device ${device.slice(0, 8)}… (revision ${rev} of this item) was never delivered`);
      }
    }
  }

  // --- push --------------------------------------------------------------------------

  /** The sealed size check the CLI makes before saving (vault.check_envelope_size). */
  checkSize(value) {
    const body = canonicalJson(value).length;
    // v2: the padded {"prev": …, "value": …} wrapper; v1: the bare item. The larger bound.
    const sealed = 29 + Math.max(paddedLength(body + 64), body);
    checkEnvelopeSize(sealed, String(value.title ?? ""));
  }

  async sealFor(entry) {
    // After a lock, nothing more is sealed: the device's sequence number is handed on.
    if (this.closed) throw new Error("the vault is locked");
    const { vk, accountId, generation, deviceId } = this.session;
    if (this.writeV2) {
      this.deviceSeq += 1;
      const claims = { itemId: entry.id, revision: entry.revision + 1, deleted: false, device: deviceId, seq: this.deviceSeq };
      const env = await sealWrite(vk, accountId, generation, claims, entry.local, this.lastSealed);
      this.lastSealed = `${entry.id}.${entry.revision + 1}`;
      return { item_id: entry.id, base_revision: entry.revision, envelope: b64urlEncode(env), deleted: false, device: deviceId, device_seq: claims.seq };
    }
    const env = await seal(vk, canonicalJson(entry.local), itemAd(accountId, hexToBytes(entry.id), generation));
    return { item_id: entry.id, base_revision: entry.revision, envelope: b64urlEncode(env) };
  }

  async push() {
    const refused = new Set();
    for (let round = 0; round < MAX_PUSH_ROUNDS; round++) {
      const pending = [...this.entries.values()].filter((e) => e.dirty && !refused.has(e.id) && !this.quarantine.has(e.id));
      if (!pending.length) return;
      for (let i = 0; i < pending.length; i += PUSH_BATCH) await this.pushBatch(pending.slice(i, i + PUSH_BATCH), refused);
    }
  }

  async pushBatch(batch, refused) {
    this.pushedAny = true;
    const writes = [];
    for (const e of batch) writes.push(await this.sealFor(e));
    let answer;
    try {
      answer = await this.session.api.push(writes);
    } catch (err) {
      if (err instanceof ApiError && err.status === 413) {
        if (batch.length > 1) {
          const half = Math.floor(batch.length / 2);
          await this.pushBatch(batch.slice(0, half), refused);
          await this.pushBatch(batch.slice(half), refused);
        } else {
          refused.add(batch[0].id);
          this.rejected.push({ item: batch[0].id, title: String(batch[0].local?.title ?? "") });
        }
        return;
      }
      throw err;
    }
    const byId = new Map(batch.map((e) => [e.id, e]));
    for (const result of answer.results) {
      const entry = byId.get(result.item_id);
      if (!entry) {
        this.note("unknown_answer", result.item_id, "the server answered for an item this page did not send");
        continue;
      }
      if (result.status === "ok") {
        entry.revision = result.revision ?? entry.revision + 1;
        entry.remote = entry.local;
        entry.dirty = false;
        this.seen.set(entry.id, [entry.revision, entry.local]);
        continue;
      }
      if (!result.current) {
        entry.revision = 0;
        continue;
      }
      const opened = await this.openOrQuarantine(result.current);
      if (!opened) {
        refused.add(entry.id);
        continue;
      }
      this.trackSeq(result.current, opened);
      this.seen.set(entry.id, [result.current.revision, opened.plain ? PLAIN_TOMBSTONE : opened.value]);
      this.resolve(entry, result.current.revision, opened.value);
    }
  }

  // --- the whole run -----------------------------------------------------------------

  /** Pull then push; one run at a time (a second call waits for the first). */
  sync() {
    this.running ??= (async () => {
      try {
        await this.pull();
        this.pushedAny = false;
        await this.push();
        if (this.pushedAny) this.refreshAll();
        this.lastSync = new Date();
      } catch (err) {
        throw sessionEnded(err) ?? err;
      } finally {
        this.running = null;
        this.emit();
      }
    })();
    return this.running;
  }

  /** Save an item edited in this page (null id: a new item) and push it. */
  save(id, value) {
    this.checkSize(value);
    let entry = id ? this.entries.get(id) : null;
    if (!entry) {
      entry = new Entry(id ?? newItemId());
      this.entries.set(entry.id, entry);
    }
    entry.local = value;
    entry.dirty = true;
    if (value.type === TEMPLATE_TYPE) this.refreshAll();
    else this.refreshView(entry);
    this.emit();
    return entry.id;
  }

  /** Conflict copies in the vault (the marks are in the items, from any device). */
  conflictCopies() {
    return this.visible().filter((e) => e.view?.item && isConflictCopy(e.view.item));
  }

  // --- edits kept over a lock -----------------------------------------------------------

  /**
   * The edits not yet on the server, sealed so they can outlive a lock in this tab's memory
   * with no key and no plaintext: each one's current value and its merge base as item
   * envelopes (spec §7, the item's own AD) under the vault key, with the revision it is
   * based on. restorePending opens them after the next sign-in to this account.
   */
  async sealPending() {
    const { vk, accountId, generation, accountIdHex } = this.session;
    const edits = [];
    for (const e of this.entries.values()) {
      if (!e.dirty || !e.local) continue;
      const ad = itemAd(accountId, hexToBytes(e.id), generation);
      edits.push({
        id: e.id,
        revision: e.revision,
        local: await seal(vk, canonicalJson(e.local), ad),
        base: e.remote === null ? null : await seal(vk, canonicalJson(e.remote), ad),
      });
    }
    return { accountIdHex, generation, edits };
  }

  /**
   * Edits kept over a lock (sealPending) back as unsynced edits, before the first pull:
   * the pull merges each with what the server has now (a conflict copy where both sides
   * changed a field) and the push sends them. Returns how many did not open (the account
   * was reset since: other keys).
   */
  async restorePending(held) {
    const { vk, accountId, generation } = this.session;
    let lost = 0;
    const read = async (envelope, ad) => JSON.parse(strictUtf8.decode(await open(vk, envelope, ad)));
    for (const edit of held.edits) {
      const ad = itemAd(accountId, hexToBytes(edit.id), generation);
      try {
        const entry = new Entry(edit.id);
        entry.local = await read(edit.local, ad);
        entry.remote = edit.base === null ? null : await read(edit.base, ad);
        entry.revision = edit.revision;
        entry.dirty = true;
        this.entries.set(edit.id, entry);
      } catch {
        lost += 1;
      }
    }
    this.refreshAll();
    return lost;
  }

  /** Forget every plaintext (lock and sign-out). */
  clear() {
    this.closed = true;
    // The opener's decryption thread holds the vault key: it ends with the vault.
    this._opener?.close();
    this.entries.clear();
    this.seen.clear();
    this.quarantine.clear();
    this.problems = [];
    this.listeners.clear();
  }
}
