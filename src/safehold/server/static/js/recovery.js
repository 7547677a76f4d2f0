// The recovery code (spec/protocol.md §9.2) in the browser: the text form, the two keys
// derived from it, the vault key's wrap, and the new credentials a recovery sends. Every
// primitive is WebCrypto's (HKDF, SHA-256, AES-GCM) through protocol.js.

import {
  CryptoError,
  DEFAULT_KDF_PARAMS,
  KDF_SALT_LEN,
  KEY_LEN,
  TamperedData,
  accountKeyToText,
  b64urlEncode,
  bytesToHex,
  bytesToInt,
  checkKdfParams,
  cleanedText,
  deriveKeys,
  foreignSymbols,
  groupedText,
  hexToBytes,
  hkdf,
  intToBytes,
  intToHex,
  newAccountKeySecret,
  open,
  randomBytes,
  seal,
  sealKeyset,
  srpVerifier,
  symbolsValue,
} from "./protocol.js";

export class RecoveryCodeError extends CryptoError {}
export class RecoveryCodeTypo extends RecoveryCodeError {
  constructor() {
    super("that recovery code has a typo: check it against what you wrote down");
  }
}
export class RecoveryCodeFormat extends RecoveryCodeError {}

export const RECOVERY_PREFIX = "SHR1";
export const RECOVERY_LEN = 32;
const CHECK_MODULUS = 1048573n; // the largest prime below 2^20
const DATA_SYMBOLS = 52;
const CHECK_SYMBOLS = 4;
export const INFO_RECOVERY_KEY = "safehold/v1/recovery-key";
export const INFO_RECOVERY_AUTH = "safehold/v1/recovery-auth";

export function newRecoveryCodeSecret() {
  return randomBytes(RECOVERY_LEN);
}

/** `SHR1-XXXX-…` (fourteen groups of four). */
export function recoveryCodeToText(secret) {
  if (secret.length !== RECOVERY_LEN) throw new RecoveryCodeFormat("a recovery code secret is 32 bytes");
  const value = bytesToInt(secret);
  return groupedText(RECOVERY_PREFIX, value, DATA_SYMBOLS, value % CHECK_MODULUS, CHECK_SYMBOLS);
}

/** Read a code as a person typed it; throws RecoveryCodeTypo or RecoveryCodeFormat. */
export function parseRecoveryCode(text) {
  let cleaned = cleanedText(text);
  const total = DATA_SYMBOLS + CHECK_SYMBOLS;
  if (cleaned.length === total + RECOVERY_PREFIX.length) {
    if (!cleaned.startsWith(RECOVERY_PREFIX)) {
      if (cleaned.startsWith("SHR")) {
        throw new RecoveryCodeFormat(`this recovery code is version '${cleaned[3]}', which this Safehold does not know`);
      }
      throw new RecoveryCodeFormat("a recovery code starts with SHR1-");
    }
    cleaned = cleaned.slice(RECOVERY_PREFIX.length);
  } else if (cleaned.startsWith("SH1") && cleaned.length === 31) {
    throw new RecoveryCodeFormat("that is an account key (SH1-…), not a recovery code (SHR1-…)");
  } else if (cleaned.length !== total) {
    throw new RecoveryCodeFormat(`a recovery code has ${total} characters after SHR1- (not counting dashes)`);
  }
  const bad = foreignSymbols(cleaned);
  if (bad.length) {
    throw new RecoveryCodeFormat(`${bad.map((c) => `'${c}'`).join(", ")} cannot appear in a recovery code`);
  }
  const value = symbolsValue(cleaned.slice(0, DATA_SYMBOLS));
  const check = symbolsValue(cleaned.slice(DATA_SYMBOLS));
  if (value >> 256n || check !== value % CHECK_MODULUS) throw new RecoveryCodeTypo();
  return intToBytes(value, RECOVERY_LEN);
}

export function recoveryAd(accountId, generation) {
  return `safehold/v1/recovery|${bytesToHex(accountId)}|${generation}`;
}

/** `rk` wraps the vault key and never leaves this page; `ra` is sent once, at use. */
export async function recoveryKeys(codeSecret, accountId) {
  const rk = await hkdf(codeSecret, accountId, INFO_RECOVERY_KEY, KEY_LEN);
  const ra = await hkdf(codeSecret, accountId, INFO_RECOVERY_AUTH, KEY_LEN);
  const authHash = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", ra));
  return { rk, ra, authHash };
}

export async function sealRecovery(rk, vk, accountId, generation, nonce) {
  return seal(rk, vk, recoveryAd(accountId, generation), nonce);
}

export async function openRecovery(rk, wrapped, accountId, generation) {
  const vk = await open(rk, wrapped, recoveryAd(accountId, generation));
  if (vk.length !== KEY_LEN) throw new TamperedData();
  return vk;
}

/** spec §9.2 step 4: a new account key and salt, the new password, the SAME vault key. */
export async function buildRecovery({ info, vk, ra, password, hint = "", floor = DEFAULT_KDF_PARAMS, derive = deriveKeys }) {
  const params = checkKdfParams(
    {
      t: Math.max(info.kdf_params.t, floor.t),
      m_kib: Math.max(info.kdf_params.m_kib, floor.m_kib),
      p: Math.max(info.kdf_params.p, floor.p),
    },
    floor,
  );
  const accountId = hexToBytes(info.account_id);
  const accountKeySecret = newAccountKeySecret();
  const kdfSalt = randomBytes(KDF_SALT_LEN);
  const { auk, srpX } = await derive({ email: info.email, password, accountKeySecret, accountId, kdfSalt, params, floor });
  const keyset = await sealKeyset(auk, vk, accountId, info.generation);
  return {
    request: {
      auth: b64urlEncode(ra),
      kdf_salt: b64urlEncode(kdfSalt),
      kdf_params: params,
      verifier: intToHex(srpVerifier(srpX)),
      keyset: b64urlEncode(keyset),
      hint: hint || null,
    },
    accountKeyText: accountKeyToText(accountKeySecret),
  };
}
