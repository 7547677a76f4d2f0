// Signing in, changing the password and signing out, in the browser, as the CLI does
// (client/account.py): SRP-6a (spec §6) with Argon2id in a Web Worker, the KDF floor
// checked before any derivation, M2 checked before anything in the answer is trusted, and
// the keyset opened with the derived key. The password and the account key never leave
// this page; the vault key becomes a non-extractable WebCrypto key.
//
// Errors the sign-in form tells apart (SignInError.kind):
//   key_typo      the account key's checksum or shape is wrong (nothing was sent)
//   auth_failed   wrong password, wrong key or unknown email (one message for all)
//   rate_limited  too many attempts (retryAfter seconds)
//   kdf_refused   the server asked for a cost below this page's floor or above the ceilings
//   tampered      the server could not prove it knows the account, or sent a broken answer
//   network       no usable answer

import {
  AccountKeyError,
  CryptoError,
  KdfParamsRejected,
  SRP_N,
  TamperedData,
  b64urlDecode,
  b64urlEncode,
  bytesToHex,
  bytesToInt,
  checkKdfParams,
  hexToBytes,
  hexToInt,
  importEnvelopeKey,
  intToHex,
  openKeyset,
  parseAccountKey,
  randomBytes,
  sealKeyset,
  srpClient,
  srpVerifier,
  KDF_SALT_LEN,
} from "../protocol.js";
import { deriveInWorker } from "../derive.js";
import { Api, ApiError, NetworkError } from "./api.js";
import { KDF_FLOOR, SESSION_IDLE_SECONDS } from "./config.js";

export const LOGIN_FAILED = "Email, password or account key incorrect.";

export class SignInError extends Error {
  constructor(kind, message, retryAfter = null) {
    super(message);
    this.name = "SignInError";
    this.kind = kind;
    this.retryAfter = retryAfter;
  }
}

/** `12 seconds`, `15 minutes`: errors.wait_text of the CLI. */
export function waitText(seconds) {
  if (seconds === null || seconds === undefined) return "a while";
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 120) return `${whole} second${whole === 1 ? "" : "s"}`;
  return `${Math.ceil(whole / 60)} minutes`;
}

function randomA() {
  // 256 random bits, 0 < a < N (spec §6).
  for (;;) {
    const a = bytesToInt(randomBytes(32));
    if (a > 0n) return a;
  }
}

function serverError(err) {
  if (err instanceof ApiError) {
    if (err.status === 429) return new SignInError("rate_limited", `Too many attempts. Try again in ${waitText(err.retryAfter)}.`, err.retryAfter);
    if (err.code === "auth_failed") return new SignInError("auth_failed", LOGIN_FAILED);
    if (err.status === 422) return new SignInError("auth_failed", `The server refused this request: ${err.message}`);
    return new SignInError("network", `The server refused the sign-in: ${err.message}`);
  }
  if (err instanceof NetworkError) return new SignInError("network", "The server could not be reached. Check the connection and try again.");
  return err;
}

/**
 * One SRP proof of `password` and the account key for `email`: returns what a caller
 * needs to finish (sign-in, password change). `params` are checked against the floor
 * before Argon2id runs.
 */
async function prove(api, email, password, accountKeySecret) {
  let start;
  try {
    start = await api.authStart(email);
  } catch (err) {
    throw serverError(err);
  }
  let params;
  try {
    params = checkKdfParams(start.kdf_params, KDF_FLOOR);
  } catch (err) {
    if (err instanceof KdfParamsRejected) throw new SignInError("kdf_refused", `Refusing to sign in: ${err.message}.`);
    throw err;
  }
  let kdfSalt;
  let accountId;
  let B;
  try {
    kdfSalt = b64urlDecode(start.kdf_salt);
    accountId = hexToBytes(start.account_id);
    B = hexToInt(start.B);
  } catch {
    throw new SignInError("tampered", "The server sent a malformed sign-in challenge; not trusting it.");
  }
  if (B <= 0n || B >= SRP_N) throw new SignInError("auth_failed", LOGIN_FAILED);
  const keys = await deriveInWorker({ email, password, accountKeySecret, accountId, kdfSalt, params, floor: KDF_FLOOR });
  const a = randomA();
  let srp;
  try {
    srp = await srpClient({ email, salt: kdfSalt, x: keys.srpX, a, B });
  } catch {
    throw new SignInError("auth_failed", LOGIN_FAILED);
  }
  return { start, params, kdfSalt, accountId, keys, srp };
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function checkM2(srp, m2hex) {
  let m2;
  try {
    m2 = hexToBytes(String(m2hex).padStart(64, "0"));
  } catch {
    m2 = new Uint8Array(0);
  }
  // spec §6: M2 is checked before anything else in the answer is trusted.
  if (!sameBytes(m2, srp.M2)) throw new SignInError("tampered", "The server could not prove it knows this account; not trusting it.");
}

/** "Web vault (Chrome on Linux)": what the devices list shows for this sign-in. */
export function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "a browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return `Web vault (${browser}${os ? ` on ${os}` : ""})`;
}

/**
 * Sign in. Returns the session: {api, email, accountId, accountIdHex, generation, vk
 * (CryptoKey), deviceId, deviceName, accountKeySecret, hint}. Throws SignInError.
 *
 * `deviceFor(accountIdHex)` may name the device id this tab already signed in to the
 * account with (after a lock): the same device then signs in again, instead of a new one
 * per sign-in (no new-device mail, one row in the devices list). Otherwise a random one.
 */
export async function signIn({ email, password, accountKeyText, api = new Api(), deviceFor = null }) {
  let accountKeySecret;
  try {
    accountKeySecret = parseAccountKey(accountKeyText);
  } catch (err) {
    if (err instanceof AccountKeyError) {
      throw new SignInError("key_typo", `The account key is not right: ${err.message}. Check it against your Emergency Kit; nothing was sent.`);
    }
    throw err;
  }
  const { start, kdfSalt, params, accountId, keys, srp } = await prove(api, email, password, accountKeySecret);
  const kept = deviceFor?.(start.account_id) ?? null;
  const deviceId = typeof kept === "string" && /^[0-9a-f]{32}$/.test(kept) ? kept : bytesToHex(randomBytes(16));
  const name = deviceName();
  let finish;
  try {
    finish = await api.authFinish({
      login_id: start.login_id, A: intToHex(srp.A), M1: bytesToHex(srp.M1), device_id: deviceId, device_name: name,
      session_idle_seconds: SESSION_IDLE_SECONDS,
    });
  } catch (err) {
    throw serverError(err);
  }
  checkM2(srp, finish.M2);
  let vkBytes;
  try {
    vkBytes = await openKeyset(keys.auk, b64urlDecode(finish.keyset), accountId, finish.generation);
  } catch (err) {
    if (err instanceof TamperedData || err instanceof CryptoError) throw new SignInError("tampered", "The keyset from the server does not open with these keys; not trusting it.");
    throw err;
  }
  const vk = await importEnvelopeKey(vkBytes);
  // The raw bytes are needed again only to re-seal the keyset on a password change.
  api.token = finish.session.token;
  api.generation = finish.generation;
  keys.auk.fill(0);
  return {
    api,
    email,
    accountId,
    accountIdHex: start.account_id,
    generation: finish.generation,
    vk,
    vkBytes,
    deviceId,
    deviceName: name,
    accountKeySecret,
    kdfSalt,
    kdfParams: params,
    hint: finish.hint ?? null,
  };
}

/**
 * Change the account password (client/account.py change_password): prove the current one,
 * derive new keys from the new one and the same account key, re-seal the same vault key.
 * Other sessions are revoked by the server; this one stays.
 */
export async function changePassword(session, current, next) {
  const { srp, start, params } = await prove(session.api, session.email, current, session.accountKeySecret);
  const kdfSalt = randomBytes(KDF_SALT_LEN);
  const fresh = await deriveInWorker({ email: session.email, password: next, accountKeySecret: session.accountKeySecret, accountId: session.accountId, kdfSalt, params, floor: KDF_FLOOR });
  const keyset = await sealKeyset(fresh.auk, session.vkBytes, session.accountId, session.generation);
  fresh.auk.fill(0);
  let answer;
  try {
    answer = await session.api.changePassword({
      login_id: start.login_id,
      A: intToHex(srp.A),
      M1: bytesToHex(srp.M1),
      kdf_salt: b64urlEncode(kdfSalt),
      kdf_params: params,
      verifier: intToHex(srpVerifier(fresh.srpX)),
      keyset: b64urlEncode(keyset),
    });
  } catch (err) {
    throw serverError(err);
  }
  checkM2(srp, answer.M2);
}

/** Forget every key this session holds (lock and sign-out). */
export function forget(session) {
  if (!session) return;
  session.vkBytes?.fill(0);
  session.accountKeySecret?.fill(0);
  session.vk = null;
  session.api.token = null;
}
