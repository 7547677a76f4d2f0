// A faster base64url decoder for bulk pulls, with exactly the rules of protocol.js's
// b64urlDecode (spec §1: unpadded base64url, one text form per value, so unused trailing
// bits must be zero). protocol.js re-encodes every value to check that; on 10,000
// envelopes that doubled the page's decrypt time. tests/js/vault-codec.test.mjs checks the
// two agree on the vectors' encodings and on random bytes.

import { CryptoError } from "../protocol.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

const NATIVE = typeof Uint8Array.fromBase64 === "function";
const NOT_B64URL = /[^A-Za-z0-9_-]/;

export function b64urlDecodeFast(text) {
  const n = text.length;
  if (n % 4 === 1) throw new CryptoError("not unpadded base64url");
  if (NATIVE) {
    // The browser's own decoder (it skips white space and takes padding: refused first).
    if (NOT_B64URL.test(text)) throw new CryptoError("not unpadded base64url");
    const rest = n % 4;
    if (rest) {
      const last = VALUE[text.charCodeAt(n - 1)];
      if ((last & (rest === 2 ? 0x0f : 0x03)) !== 0) throw new CryptoError("not canonical base64url");
    }
    return Uint8Array.fromBase64(text, { alphabet: "base64url", lastChunkHandling: "loose" });
  }
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? VALUE[code] : -1;
    if (v < 0) throw new CryptoError("not unpadded base64url");
    last = v;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // The bits left over must be zero, or two texts would decode to the same bytes.
  if (bits && (last & ((1 << bits) - 1)) !== 0) throw new CryptoError("not canonical base64url");
  return out;
}

const INTO = { alphabet: "base64url", lastChunkHandling: "loose" };
const NATIVE_INTO = typeof Uint8Array.prototype.setFromBase64 === "function";

/** The decoded size of `n` unpadded base64url characters. */
export function b64urlDecodedLength(n) {
  return Math.floor((n * 3) / 4);
}

/**
 * b64urlDecodeFast into `target` (at least b64urlDecodedLength(text.length) bytes), with
 * the same rules; returns the number of bytes written. A bulk pull decodes every envelope
 * into one scratch buffer this way: no allocation per envelope (WebCrypto copies its
 * inputs when called, so the buffer can be reused at once).
 */
export function b64urlDecodeInto(text, target) {
  const n = text.length;
  if (n % 4 === 1) throw new CryptoError("not unpadded base64url");
  const size = b64urlDecodedLength(n);
  if (target.length < size) throw new RangeError("target too small");
  if (!NATIVE_INTO) {
    target.set(b64urlDecodeFast(text));
    return size;
  }
  // The browser's decoder skips white space and takes padding; either would write fewer
  // bytes than the length promises (n % 4 === 1 is refused above), so the count refuses
  // them without a scan of the text.
  let read;
  let written;
  try {
    ({ read, written } = target.setFromBase64(text, INTO));
  } catch {
    throw new CryptoError("not unpadded base64url");
  }
  if (read !== n || written !== size) throw new CryptoError("not unpadded base64url");
  const rest = n % 4;
  if (rest) {
    const code = text.charCodeAt(n - 1);
    const last = code < 128 ? VALUE[code] : -1;
    if (last < 0 || (last & (rest === 2 ? 0x0f : 0x03)) !== 0) throw new CryptoError("not canonical base64url");
  }
  return size;
}
