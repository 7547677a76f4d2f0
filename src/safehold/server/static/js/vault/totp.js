// Time-based one-time passwords (RFC 6238) in the browser, reading a TOTP field as
// src/safehold/client/items/totp.py does: an otpauth://totp/ URI or a bare base32 secret
// ("JBSW Y3DP EHPK 3PXP", any case, spaces allowed). HMAC comes from WebCrypto.

import { InvalidField } from "./items.js";

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALGORITHMS = { SHA1: "SHA-1", SHA256: "SHA-256", SHA512: "SHA-512" };

export class InvalidOtp extends InvalidField {}

function cleanSecret(text) {
  const secret = text.split(/\s+/).join("").replaceAll("-", "").toUpperCase().replace(/=+$/, "");
  if (!secret) throw new InvalidOtp("the one-time-password secret is empty");
  const bad = [...new Set([...secret].filter((ch) => !B32.includes(ch)))].sort();
  if (bad.length) {
    throw new InvalidOtp(
      `a one-time-password secret is base32 (letters A–Z and digits 2–7); this one contains ${bad.map((c) => `'${c}'`).join(", ")}`,
    );
  }
  // base64.b32decode refuses lengths whose last group cannot be whole bytes.
  if ([1, 3, 6].includes(secret.length % 8)) {
    throw new InvalidOtp(`a base32 secret cannot be ${secret.length} characters long; check it`);
  }
  return secret;
}

function intParam(query, name, fallback) {
  const raw = query.get(name);
  if (raw === undefined || raw === "") return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new InvalidOtp(`the otpauth:// URI's ${name}= must be a whole number, not '${raw}'`);
  return Number(raw);
}

/** {secret, digits, period, algorithm, issuer, account}; InvalidOtp says what is wrong. */
export function parseTotp(value) {
  if (typeof value !== "string" || !value.trim()) throw new InvalidOtp("the one-time-password secret is empty");
  const text = value.trim();
  if (!text.toLowerCase().startsWith("otpauth:")) return { secret: cleanSecret(text), digits: 6, period: 30, algorithm: "SHA1", issuer: "", account: "" };
  const match = /^otpauth:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/i.exec(text);
  if (!match) throw new InvalidOtp("a one-time-password URI starts with otpauth://");
  if (match[1].toLowerCase() !== "totp") throw new InvalidOtp(`only time-based codes (otpauth://totp/…) are supported, not '${match[1] || "(none)"}'`);
  const query = new Map();
  for (const part of (match[3] ?? "").split("&")) {
    if (!part) continue;
    const [k, v = ""] = part.split(/=(.*)/s);
    const dec = (s) => {
      try {
        return decodeURIComponent(s.replaceAll("+", " "));
      } catch {
        return s;
      }
    };
    query.set(dec(k).toLowerCase(), dec(v));
  }
  if (!query.get("secret")) throw new InvalidOtp("the otpauth:// URI has no secret= parameter");
  const secret = cleanSecret(query.get("secret"));
  const digits = intParam(query, "digits", 6);
  if (digits < 6 || digits > 10) throw new InvalidOtp(`a one-time password has 6 to 10 digits, not ${digits}`);
  const period = intParam(query, "period", 30);
  if (period < 1 || period > 86400) throw new InvalidOtp(`a one-time-password period of ${period} seconds is not usable`);
  const algorithm = (query.get("algorithm") ?? "SHA1").toUpperCase().replaceAll("-", "");
  if (!(algorithm in ALGORITHMS)) throw new InvalidOtp(`unknown one-time-password algorithm '${query.get("algorithm")}'; use SHA1, SHA256 or SHA512`);
  let label = match[2].replace(/^\/+/, "");
  try {
    label = decodeURIComponent(label);
  } catch {
    /* kept as written */
  }
  const colon = label.lastIndexOf(":");
  return {
    secret,
    digits,
    period,
    algorithm,
    issuer: (query.get("issuer") ?? (colon >= 0 ? label.slice(0, colon) : "")).trim(),
    account: (colon >= 0 ? label.slice(colon + 1) : label).trim(),
  };
}

function base32Bytes(secret) {
  let bits = 0;
  let acc = 0;
  const out = [];
  for (const ch of secret) {
    acc = (acc << 5) | B32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** {code, secondsLeft, period} for `atMs` (default now). */
export async function totpCode(value, atMs = Date.now()) {
  const p = parseTotp(value);
  const seconds = Math.floor(atMs / 1000);
  const counter = Math.floor(seconds / p.period);
  const msg = new Uint8Array(8);
  new DataView(msg.buffer).setBigUint64(0, BigInt(counter));
  const key = await crypto.subtle.importKey("raw", base32Bytes(p.secret), { name: "HMAC", hash: ALGORITHMS[p.algorithm] }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, msg));
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  const code = String(bin % 10 ** Math.min(p.digits, 9)).padStart(p.digits, "0");
  return { code: p.digits === 10 ? String(bin).padStart(10, "0") : code, secondsLeft: p.period - (seconds % p.period), period: p.period };
}
