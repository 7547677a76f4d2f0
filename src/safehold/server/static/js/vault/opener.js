// Opening the records of a pull, many at once, with exactly the checks of protocol.js's
// openImported (v1, spec §7) and openWrite (v2, spec §11.4) and the shape checks sync.js
// made one record at a time.
//
// Why a module of its own: on 10,000 records, the time of a pull besides the decryption
// itself went to allocating (a byte array per envelope and per AD, two views, a parameter
// object, four promises per record), to building each AD as a string and encoding it, and
// to decoding each body as UTF-8 on its own (a TextDecoder call costs about a microsecond
// whatever its length). WebCrypto copies its inputs when it is called (WebCrypto spec: "get
// a copy of the bytes held by" each BufferSource, before the promise is returned), so one
// scratch buffer for the envelope, one for the AD and one parameter object serve every call
// in turn; the AD's fixed part is written once. The bodies are decoded together once every
// record is decrypted (see read()), and each is parsed and checked on its own. Each
// record's result is either what it opened to or the Error it was refused with; one bad
// record never stops the others.

import {
  CryptoError,
  ENVELOPE_VERSION,
  NONCE_LEN,
  TamperedData,
  bytesToHex,
  checkClaims,
  checkWriteBody,
  strictUtf8,
  unpaddedLengthAt,
} from "../protocol.js";
import { b64urlDecodeInto, b64urlDecodedLength } from "./codec.js";

const TAG_LEN = 16;
/** Records per message to the decryption thread: small enough that reading one batch here
 * overlaps the thread's work on the next, large enough that messages stay few. */
const BATCH = 500;
const MIN_ENVELOPE = 1 + NONCE_LEN + TAG_LEN;
const HEX32 = /^[0-9a-f]{32}$/;
/** A deletion the server states without a sealed tombstone (v1): nothing to open. */
export const PLAIN = Object.freeze({ v2: false, value: null, prev: null, plain: true });

/** Writes the ASCII text `s` into `buf` at `at`; returns the offset after it. */
function ascii(buf, at, s) {
  for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
  return at + s.length;
}

const BAR = 0x7c; // "|"
const ZERO = 0x30;
const ONE = 0x31;

/** Writes the decimal digits of the safe integer `n` >= 1 into `buf` at `at`; returns the
 * offset after them. */
function digits(buf, at, n) {
  let end = at;
  for (let rest = n; rest >= 1; rest = Math.floor(rest / 10)) end += 1;
  for (let i = end - 1, rest = n; i >= at; i--, rest = Math.floor(rest / 10)) buf[i] = ZERO + (rest % 10);
  return end;
}

/** A v1 record's plaintext, decoded: its item. */
function readV1(text) {
  const value = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new CryptoError("not an item");
  return { v2: false, value, prev: null };
}

/** A v2 record's body (unpadded, decoded): what protocol.js's readWriteBody checks. */
function readV2(deleted, text) {
  const { value, prev } = checkWriteBody(deleted, text);
  return { v2: true, value, prev };
}

export class Opener {
  /** `vk` a CryptoKey from importEnvelopeKey, `accountId` 16 bytes, `generation` a number. */
  constructor({ vk, accountId, generation }) {
    this.vk = vk;
    this.generation = generation;
    const account = bytesToHex(accountId);
    this.v1Prefix = `safehold/v1/item|${account}|`;
    this.v2Prefix = `safehold/v2/item|${account}|`;
    this.v1Suffix = `|${generation}`;
    this.env = new Uint8Array(4096);
    this.dataViews = new Map();
    this.params = { name: "AES-GCM", iv: this.env.subarray(1, 1 + NONCE_LEN), additionalData: null, tagLength: 128 };
    // One AD scratch per version, each with its fixed part written once: the v1 AD differs
    // between records only in the item id, the v2 AD after its account prefix.
    this.ad1 = new Uint8Array(256);
    const v1 = ascii(this.ad1, 0, this.v1Prefix);
    this.v1Length = ascii(this.ad1, v1 + 32, this.v1Suffix);
    this.v1At = v1;
    this.ad1View = new Uint8Array(this.ad1.buffer, 0, this.v1Length);
    this.ad2 = new Uint8Array(256);
    this.v2At = ascii(this.ad2, 0, this.v2Prefix);
    this.genPart = `|${generation}|`;
    this.ad2Views = new Map();
    // The claims checked for each v2 record in turn (checkClaims reads them; none is kept).
    this.claims = { itemId: "", revision: 0, deleted: false, device: "", seq: 0 };
    this.size = 0;
    // The decryption thread (thread()): undefined until first asked for, null if none.
    this.worker = undefined;
    this.waiting = new Map();
    this.batches = 0;
    this.closed = false;
  }

  /** A view of the first `n` bytes of `buf`, kept per size (a pull sees few sizes). */
  static view(cache, buf, at, n) {
    let v = cache.get(n);
    if (v === undefined) {
      v = new Uint8Array(buf.buffer, at, n);
      if (cache.size < 4096) cache.set(n, v);
    }
    return v;
  }

  grow(size) {
    let n = this.env.length;
    while (n < size) n *= 2;
    this.env = new Uint8Array(n);
    this.dataViews.clear();
    this.params.iv = this.env.subarray(1, 1 + NONCE_LEN);
  }

  /**
   * The v2 AD (protocol.js writeAd) in its scratch: a view of it. Written field by field
   * (numbers as their decimal digits, as a template string would show a safe integer)
   * rather than built as a string first: this runs for every record of a pull.
   */
  writeV2Ad(claims) {
    const { device } = claims;
    // Item id (32), the two numbers (at most 16 digits each), the flag, the device, bars.
    const need = this.v2At + 32 + this.genPart.length + 16 + 3 + device.length + 1 + 16;
    if (need > this.ad2.length) {
      const bigger = new Uint8Array(need * 2);
      bigger.set(this.ad2.subarray(0, this.v2At));
      this.ad2 = bigger;
      this.ad2Views.clear();
    }
    const ad = this.ad2;
    let at = ascii(ad, ascii(ad, this.v2At, claims.itemId), this.genPart);
    at = digits(ad, at, claims.revision);
    ad[at] = BAR;
    ad[at + 1] = claims.deleted ? ONE : ZERO;
    ad[at + 2] = BAR;
    at = ascii(ad, at + 3, device);
    ad[at] = BAR;
    at = digits(ad, at + 1, claims.seq);
    return Opener.view(this.ad2Views, ad, 0, at);
  }

  /** The v1 AD (protocol.js itemAd) in its scratch: a view of it. */
  writeV1Ad(itemId) {
    ascii(this.ad1, this.v1At, itemId);
    return this.ad1View;
  }

  /**
   * The checks before any decryption, for record `i` of a pull: its AD (a view of the AD
   * scratch), once its envelope is decoded into `into` (or the envelope scratch, when
   * `into` is null), of which `this.size` bytes were written; whether its v2 claims say
   * deleted (null for v1) is left in `deletedOf[i]`. PLAIN for a v1 deletion; a throw
   * (synchronously) for a record refused before any decryption.
   */
  prepare(ch, deletedOf, i, into) {
    const v2 = ch.device !== null && ch.device !== undefined;
    let ad;
    if (v2) {
      const claims = this.claims;
      claims.itemId = ch.item_id;
      claims.revision = ch.revision;
      claims.deleted = Boolean(ch.deleted);
      claims.device = ch.device;
      claims.seq = ch.device_seq;
      // checkClaims tests the item id too.
      if (!checkClaims(claims)) throw new TamperedData();
      ad = this.writeV2Ad(claims);
      deletedOf[i] = claims.deleted;
    } else {
      if (typeof ch.item_id !== "string" || !HEX32.test(ch.item_id)) throw new CryptoError("not an item id");
      if (ch.deleted || !ch.envelope) return PLAIN;
      ad = this.writeV1Ad(ch.item_id);
      deletedOf[i] = null;
    }
    const text = typeof ch.envelope === "string" ? ch.envelope : "";
    let target = into;
    if (target === null) {
      const size = b64urlDecodedLength(text.length);
      if (size > this.env.length) this.grow(size);
      target = this.env;
    }
    const n = b64urlDecodeInto(text, target);
    if (n < MIN_ENVELOPE || target[0] !== ENVELOPE_VERSION) throw new TamperedData();
    this.size = n;
    return ad;
  }

  /** Start decrypting record `i` here: a promise of its plaintext, PLAIN, or a throw. */
  start(ch, deletedOf, i) {
    const ad = this.prepare(ch, deletedOf, i, null);
    if (ad === PLAIN) return PLAIN;
    const params = this.params;
    params.additionalData = ad;
    const data = Opener.view(this.dataViews, this.env, 1 + NONCE_LEN, this.size - 1 - NONCE_LEN);
    return crypto.subtle.decrypt(params, this.vk, data);
  }

  /** Open every record of `changes`: one result per record, an opened value or an Error. */
  openAll(changes) {
    const worker = this.thread();
    if (worker === null || changes.length === 0) return this.openHere(changes);
    // Batches go to the decryption thread as they are checked; each is read here while
    // the thread decrypts the next.
    const parts = [];
    for (let from = 0; from < changes.length; from += BATCH) parts.push(this.openThere(changes.slice(from, from + BATCH)));
    return Promise.all(parts).then((outs) => (outs.length === 1 ? outs[0] : outs.flat()));
  }

  /** openAll on this thread (no worker: Node's tests, or a browser that refused one). */
  openHere(changes) {
    const n = changes.length;
    const out = new Array(n);
    const plain = new Array(n);
    const deletedOf = new Array(n);
    const at = [];
    const decrypting = [];
    for (let i = 0; i < n; i++) {
      let started;
      try {
        started = this.start(changes[i], deletedOf, i);
      } catch (err) {
        out[i] = err;
        continue;
      }
      if (started === PLAIN) {
        out[i] = PLAIN;
      } else {
        at.push(i);
        decrypting.push(started);
      }
    }
    const done = (results) => {
      for (let k = 0; k < at.length; k++) {
        const r = results[k];
        if (r.status === undefined) plain[at[k]] = new Uint8Array(r);
        else if (r.status === "fulfilled") plain[at[k]] = new Uint8Array(r.value);
        else out[at[k]] = new TamperedData();
      }
      this.read(out, plain, deletedOf);
      return out;
    };
    // Promise.all's own bookkeeping costs less than a reaction per record; a record that
    // fails to decrypt (rare: a tampered one) makes the page wait for every outcome.
    return Promise.all(decrypting).then(done, () => Promise.allSettled(decrypting).then(done));
  }

  /** openAll of one batch through the decryption thread (decrypt-worker.js). */
  openThere(changes) {
    const n = changes.length;
    const out = new Array(n);
    const deletedOf = new Array(n);
    let bound = 0;
    for (const ch of changes) if (typeof ch.envelope === "string") bound += b64urlDecodedLength(ch.envelope.length);
    const env = new ArrayBuffer(bound);
    const envAt = new Int32Array(2 * n);
    let ad = new Uint8Array(n * 192);
    const adAt = new Int32Array(2 * n);
    const sent = new Int32Array(n);
    let count = 0;
    let pos = 0;
    let adPos = 0;
    for (let i = 0; i < n; i++) {
      let adView;
      try {
        adView = this.prepare(changes[i], deletedOf, i, new Uint8Array(env, pos, bound - pos));
      } catch (err) {
        out[i] = err;
        continue;
      }
      if (adView === PLAIN) {
        out[i] = PLAIN;
        continue;
      }
      if (adPos + adView.length > ad.length) {
        const bigger = new Uint8Array(2 * (adPos + adView.length));
        bigger.set(ad);
        ad = bigger;
      }
      ad.set(adView, adPos);
      adAt[2 * count] = adPos;
      adPos += adView.length;
      adAt[2 * count + 1] = adPos;
      // The version byte was checked; the thread takes the nonce and ciphertext.
      envAt[2 * count] = pos + 1;
      envAt[2 * count + 1] = pos + this.size;
      pos += this.size;
      sent[count++] = i;
    }
    if (count === 0) return Promise.resolve(out);
    const batch = ++this.batches;
    const answered = new Promise((resolve) => this.waiting.set(batch, resolve));
    const message = { kind: "open", batch, count, env, envAt, ad: ad.buffer, adAt };
    this.worker.postMessage(message, [env, envAt.buffer, ad.buffer, adAt.buffer]);
    return answered.then((answer) => {
      // The thread is gone (an error, or the vault closed): the batch is opened here.
      if (answer.kind !== "opened") return this.openHere(changes);
      const plain = new Array(n);
      const { plainAt } = answer;
      for (let k = 0; k < count; k++) {
        const i = sent[k];
        const start = plainAt[2 * k];
        if (start < 0) out[i] = new TamperedData();
        else plain[i] = new Uint8Array(answer.plain, start, plainAt[2 * k + 1] - start);
      }
      this.read(out, plain, deletedOf);
      return out;
    });
  }

  /** The decryption thread, started on first use; null where there is none. */
  thread() {
    if (this.worker !== undefined) return this.worker;
    this.worker = null;
    if (typeof Worker !== "function" || this.closed) return null;
    try {
      const worker = new Worker(new URL("./decrypt-worker.js", import.meta.url), { type: "module" });
      worker.onmessage = (event) => this.answer(event.data);
      worker.onerror = worker.onmessageerror = () => this.stopThread();
      worker.postMessage({ kind: "key", key: this.vk });
      this.worker = worker;
    } catch {
      this.worker = null;
    }
    return this.worker;
  }

  answer(data) {
    const resolve = this.waiting.get(data.batch);
    this.waiting.delete(data.batch);
    resolve?.(data);
  }

  /** End the decryption thread (and with it its copy of the key); batches it had not
   * answered are opened here. Later pulls open here too. */
  stopThread() {
    this.worker?.terminate();
    this.worker = null;
    for (const resolve of this.waiting.values()) resolve({ kind: "failed" });
    this.waiting.clear();
  }

  /** Forget the key: the decryption thread ends (Vault.clear at a lock). */
  close() {
    this.closed = true;
    this.stopThread();
    this.vk = null;
  }

  /**
   * Read every decrypted record's body (`plain[i]`, its plaintext's bytes) into `out`. The
   * bodies (v2 unpadded) are copied into one buffer and decoded as UTF-8 in one call; when
   * that text is as long as the buffer, every byte was ASCII, so each body's text is a
   * slice at its byte offsets.
   * Otherwise (a body with other characters, or one that is not UTF-8) each body is
   * decoded on its own, as it would be alone. Either way each body is parsed and checked
   * separately: no record can change how another is read.
   */
  read(out, plain, deletedOf) {
    const n = out.length;
    let room = 0;
    for (let i = 0; i < n; i++) if (plain[i] !== undefined) room += plain[i].byteLength;
    // Each plaintext is copied whole after the bodies before it, then its padding is found
    // in place and the next one written over it: one view per record, no other copy.
    const joined = new Uint8Array(room);
    const lengths = new Int32Array(n).fill(-1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const pt = plain[i];
      if (pt === undefined) continue;
      joined.set(pt, total);
      if (deletedOf[i] === null) {
        lengths[i] = pt.byteLength;
      } else {
        try {
          lengths[i] = unpaddedLengthAt(joined, total, pt.byteLength);
        } catch (err) {
          out[i] = err;
          continue;
        }
      }
      total += lengths[i];
    }
    let text = null;
    try {
      text = strictUtf8.decode(joined.subarray(0, total));
    } catch {
      // Some body is not UTF-8: each is decoded alone below, and only that one is refused.
    }
    const sliced = text !== null && text.length === total;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const length = lengths[i];
      if (length < 0) continue;
      const deleted = deletedOf[i];
      try {
        let body;
        if (sliced) {
          body = text.slice(at, at + length);
        } else {
          try {
            body = strictUtf8.decode(joined.subarray(at, at + length));
          } catch (err) {
            throw deleted === null ? err : new TamperedData();
          }
        }
        out[i] = deleted === null ? readV1(body) : readV2(deleted, body);
      } catch (err) {
        out[i] = err;
      } finally {
        at += length;
      }
    }
  }

  /** One record: what it opened to, or a throw. */
  async open(ch) {
    const [r] = await this.openAll([ch]);
    if (r instanceof Error) throw r;
    return r;
  }
}
