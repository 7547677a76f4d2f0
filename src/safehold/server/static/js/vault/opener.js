// Opening the records of a pull, many at once, with exactly the checks of protocol.js's
// openImported (v1, spec §7) and openWrite (v2, spec §11.4) and the shape checks sync.js
// made one record at a time.
//
// Why a module of its own: on 10,000 records, the time of a pull besides the decryption
// itself went to allocating (a byte array per envelope and per AD, two views, a parameter
// object, four promises per record) and to building each AD as a string and encoding it.
// WebCrypto copies its inputs when it is called (WebCrypto spec: "get a copy of the bytes
// held by" each BufferSource, before the promise is returned), so one scratch buffer for
// the envelope, one for the AD and one parameter object serve every call in turn; the AD's
// fixed part is written once. Each record's result is either what it opened to or the
// Error it was refused with; one bad record never stops the others.

import {
  CryptoError,
  ENVELOPE_VERSION,
  NONCE_LEN,
  TamperedData,
  bytesToHex,
  checkClaims,
  readWriteBody,
} from "../protocol.js";
import { b64urlDecodeInto, b64urlDecodedLength } from "./codec.js";

const TAG_LEN = 16;
const MIN_ENVELOPE = 1 + NONCE_LEN + TAG_LEN;
const HEX32 = /^[0-9a-f]{32}$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });
/** A deletion the server states without a sealed tombstone (v1): nothing to open. */
export const PLAIN = Object.freeze({ v2: false, value: null, prev: null, plain: true });

/** Writes the ASCII text `s` into `buf` at `at`; returns the offset after it. */
function ascii(buf, at, s) {
  for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
  return at + s.length;
}

function refuse() {
  throw new TamperedData();
}

function readV1(pt) {
  const value = JSON.parse(utf8.decode(pt));
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new CryptoError("not an item");
  return { v2: false, value, prev: null };
}

function readV2(claims, pt) {
  const { value, prev } = readWriteBody(claims, new Uint8Array(pt));
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
    this.ad = new Uint8Array(256);
    this.adViews = new Map();
    this.env = new Uint8Array(4096);
    this.dataViews = new Map();
    this.params = { name: "AES-GCM", iv: this.env.subarray(1, 1 + NONCE_LEN), additionalData: null, tagLength: 128 };
    // The v1 AD differs between records only in the item id: its other bytes stay put.
    const v1 = ascii(this.ad, 0, this.v1Prefix);
    this.v1Length = ascii(this.ad, v1 + 32, this.v1Suffix);
    this.v1At = v1;
    this.v1Dirty = false;
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

  /** The v2 AD (protocol.js writeAd) in the AD scratch; its length. */
  writeV2Ad(claims) {
    const tail = `|${this.generation}|${claims.revision}|${claims.deleted ? 1 : 0}|${claims.device}|${claims.seq}`;
    const need = this.v2Prefix.length + 32 + tail.length;
    if (need > this.ad.length) {
      this.ad = new Uint8Array(need * 2);
      this.adViews.clear();
    }
    // The v1 AD's fixed bytes are overwritten: the next v1 record writes them again.
    this.v1Dirty = true;
    return ascii(this.ad, ascii(this.ad, ascii(this.ad, 0, this.v2Prefix), claims.itemId), tail);
  }

  writeV1Ad(itemId) {
    if (this.v1Dirty) {
      const at = ascii(this.ad, 0, this.v1Prefix);
      ascii(this.ad, at + 32, this.v1Suffix);
      this.v1Dirty = false;
    }
    ascii(this.ad, this.v1At, itemId);
    return this.v1Length;
  }

  /**
   * Start opening one record: a promise of {v2, value, prev}, PLAIN for a v1 deletion, or
   * a throw (synchronously) for a record refused before any decryption.
   */
  start(ch) {
    const v2 = ch.device !== null && ch.device !== undefined;
    let claims = null;
    let adLength;
    if (v2) {
      claims = { itemId: ch.item_id, revision: ch.revision, deleted: Boolean(ch.deleted), device: ch.device, seq: ch.device_seq };
      // checkClaims tests the item id too.
      if (!checkClaims(claims)) throw new TamperedData();
      adLength = this.writeV2Ad(claims);
    } else {
      if (typeof ch.item_id !== "string" || !HEX32.test(ch.item_id)) throw new CryptoError("not an item id");
      if (ch.deleted || !ch.envelope) return PLAIN;
      adLength = this.writeV1Ad(ch.item_id);
    }
    const text = typeof ch.envelope === "string" ? ch.envelope : "";
    const size = b64urlDecodedLength(text.length);
    if (size > this.env.length) this.grow(size);
    const n = b64urlDecodeInto(text, this.env);
    if (n < MIN_ENVELOPE || this.env[0] !== ENVELOPE_VERSION) throw new TamperedData();
    const params = this.params;
    params.additionalData = Opener.view(this.adViews, this.ad, 0, adLength);
    const data = Opener.view(this.dataViews, this.env, 1 + NONCE_LEN, n - 1 - NONCE_LEN);
    const decrypted = crypto.subtle.decrypt(params, this.vk, data);
    return v2 ? decrypted.then((pt) => readV2(claims, pt), refuse) : decrypted.then(readV1, refuse);
  }

  /** Open every record of `changes`: one result per record, an opened value or an Error. */
  openAll(changes) {
    const out = new Array(changes.length);
    const waits = [];
    for (let i = 0; i < changes.length; i++) {
      try {
        const r = this.start(changes[i]);
        if (r === PLAIN) out[i] = r;
        else waits.push(r.then((v) => (out[i] = v), (err) => (out[i] = err)));
      } catch (err) {
        out[i] = err;
      }
    }
    return Promise.all(waits).then(() => out);
  }

  /** One record: what it opened to, or a throw. */
  async open(ch) {
    const [r] = await this.openAll([ch]);
    if (r instanceof Error) throw r;
    return r;
  }
}
