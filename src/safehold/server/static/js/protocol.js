// Safehold protocol, version 1 — the browser's implementation of spec/protocol.md.
//
// It must agree byte for byte with the Python reference (src/safehold/crypto/) and is
// checked against spec/vectors/protocol-v1.json by tests/js/protocol.test.mjs.
// Works in browsers and in Node >= 20 (both have WebCrypto at globalThis.crypto).
//
// Primitives come from maintained libraries, as spec §1 requires:
//   HKDF-SHA256, AES-256-GCM, SHA-256, random  -> WebCrypto (crypto.subtle, getRandomValues)
//   Argon2id                                   -> hash-wasm, vendored under /static/vendor/
// Only the SRP formulas (spec §6) are written out here, on BigInt.
//
// Error tree (mirrors safehold.crypto):
//   CryptoError
//   ├── TamperedData
//   ├── AccountKeyError
//   │   ├── AccountKeyTypo
//   │   └── AccountKeyFormat
//   ├── KdfParamsRejected
//   └── SrpError

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();
/** How every sealed body is read as text (here, by the vault's opener and sync): bytes
 * that are not UTF-8 throw, and a byte order mark is kept (and then refused by JSON.parse),
 * as Python's decoder keeps it; by default TextDecoder drops one at the start, and the two
 * implementations would differ. */
export const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// --- Errors --------------------------------------------------------------------------

export class CryptoError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}
export class TamperedData extends CryptoError {
  constructor() {
    super("the data is damaged or was tampered with");
  }
}
export class AccountKeyError extends CryptoError {}
export class AccountKeyTypo extends AccountKeyError {
  constructor() {
    super("that account key has a typo: check it against your Emergency Kit");
  }
}
export class AccountKeyFormat extends AccountKeyError {}
export class KdfParamsRejected extends CryptoError {}
export class SrpError extends CryptoError {}

// --- Encodings (spec §1) ---------------------------------------------------------------

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function hexToBytes(hex) {
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) {
    throw new CryptoError("not hexadecimal bytes");
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** base64url without padding (RFC 4648 §5). */
export function b64urlEncode(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64urlDecode(text) {
  if (/[^A-Za-z0-9_-]/.test(text) || text.length % 4 === 1) {
    throw new CryptoError("not unpadded base64url");
  }
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  // spec §1: one text form per value; atob ignores non-zero unused trailing bits.
  if (b64urlEncode(bytes) !== text) throw new CryptoError("not canonical base64url");
  return bytes;
}

/** An SRP integer as lowercase hex without leading zeros, like Python's format(n, "x"). */
export function intToHex(n) {
  return n.toString(16);
}

export function hexToInt(hex) {
  // spec §1: lowercase, no sign, prefix or leading zeros (only "0" itself starts with 0).
  if (!/^(0|[1-9a-f][0-9a-f]*)$/.test(hex)) throw new CryptoError("not a canonical hexadecimal integer");
  return BigInt("0x" + hex);
}

export function bytesToInt(bytes) {
  return bytes.length === 0 ? 0n : BigInt("0x" + bytesToHex(bytes));
}

/** Big-endian, left-padded with zeros to `length` bytes. */
export function intToBytes(n, length) {
  const hex = n.toString(16).padStart(2 * length, "0");
  if (hex.length > 2 * length) throw new CryptoError("integer too large for its field");
  return hexToBytes(hex);
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function xorBytes(a, b) {
  if (a.length !== b.length) throw new CryptoError("XOR of unequal lengths");
  return a.map((byte, i) => byte ^ b[i]);
}

export function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

// --- Normalisation (spec §2) -----------------------------------------------------------

// Exactly the characters for which Python's str.isspace() is true, so that trimming
// matches the reference's str.strip(). (JavaScript's trim() differs: it removes U+FEFF
// and keeps U+001C..U+001F and U+0085.)
const PY_SPACE =
  "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005" +
  "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
const TRIM_RE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "gu");

/** NFKC, surrounding white space removed, lower-cased. */
export function normalizeEmail(email) {
  return email.normalize("NFKC").replace(TRIM_RE, "").toLowerCase();
}

/** `e` in the spec: UTF-8 of the normalised email. */
export function emailBytes(email) {
  return utf8.encode(normalizeEmail(email));
}

/** `pw` in the spec: NFKD then UTF-8, never trimmed. */
export function passwordBytes(password) {
  return utf8.encode(password.normalize("NFKD"));
}

// --- The account key (spec §4) ---------------------------------------------------------

export const ACCOUNT_KEY_PREFIX = "SH1";
export const ACCOUNT_KEY_LEN = 16;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford's base32
const CHECK_MODULUS = 37n;
const DATA_SYMBOLS = 26;
const CHECK_SYMBOLS = 2;
const ALIASES = { O: "0", I: "1", L: "1" };

function base32c(value, count) {
  let out = "";
  for (let i = 0; i < count; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

// The text form's pieces, shared with the recovery code (recovery.js, spec §9.2): written the
// same way with other sizes, another check modulus and another prefix.

/** `PREFIX-XXXX-…`: the data symbols then the check symbols (BigInts), in groups of four. */
export function groupedText(prefix, value, dataSymbols, check, checkSymbols) {
  const body = base32c(value, dataSymbols) + base32c(check, checkSymbols);
  return [prefix, ...body.match(/.{4}/g)].join("-");
}

/** What a person typed, read kindly: any case, spaces and dashes anywhere, O for 0, I or L for 1. */
export function cleanedText(text) {
  return text
    .toUpperCase()
    .replace(/[ \t\r\n-]/g, "")
    .replace(/[OIL]/g, (ch) => ALIASES[ch]);
}

/** The characters of `cleaned` that are not in the alphabet, each once. */
export function foreignSymbols(cleaned) {
  return [...new Set(cleaned)].filter((ch) => !ALPHABET.includes(ch));
}

/** The big-endian number (a BigInt) that `symbols`, all in the alphabet, stand for. */
export function symbolsValue(symbols) {
  let value = 0n;
  for (const ch of symbols) value = (value << 5n) | BigInt(ALPHABET.indexOf(ch));
  return value;
}

/** 16 random bytes from the browser's CSPRNG. */
export function newAccountKeySecret() {
  return randomBytes(ACCOUNT_KEY_LEN);
}

/** `SH1-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`: the form printed on the Emergency Kit. */
export function accountKeyToText(secret) {
  if (secret.length !== ACCOUNT_KEY_LEN) throw new AccountKeyFormat("an account key secret is 16 bytes");
  const value = bytesToInt(secret);
  return groupedText(ACCOUNT_KEY_PREFIX, value, DATA_SYMBOLS, value % CHECK_MODULUS, CHECK_SYMBOLS);
}

/** Read a key as a person typed it; throws AccountKeyTypo or AccountKeyFormat. */
export function parseAccountKey(text) {
  let cleaned = cleanedText(text);
  const total = DATA_SYMBOLS + CHECK_SYMBOLS;
  if (cleaned.length === total + ACCOUNT_KEY_PREFIX.length) {
    if (!cleaned.startsWith(ACCOUNT_KEY_PREFIX)) {
      if (cleaned.startsWith("SH")) {
        throw new AccountKeyFormat(
          `this account key is version '${cleaned[2]}', which this Safehold does not know`,
        );
      }
      throw new AccountKeyFormat("an account key starts with SH1-");
    }
    cleaned = cleaned.slice(ACCOUNT_KEY_PREFIX.length);
  } else if (cleaned.length !== total) {
    throw new AccountKeyFormat(`an account key has ${total} characters after SH1- (not counting dashes)`);
  }
  const bad = foreignSymbols(cleaned);
  if (bad.length) {
    throw new AccountKeyFormat(`${bad.map((c) => `'${c}'`).join(", ")} cannot appear in an account key`);
  }
  const value = symbolsValue(cleaned.slice(0, DATA_SYMBOLS));
  const check = symbolsValue(cleaned.slice(DATA_SYMBOLS));
  if (value >> 128n || check !== value % CHECK_MODULUS) throw new AccountKeyTypo();
  return intToBytes(value, ACCOUNT_KEY_LEN);
}

// --- Key derivation (spec §3) ----------------------------------------------------------

export const INFO_KDF_SALT = "safehold/v1/kdf-salt";
export const INFO_ACCOUNT_KEY = "safehold/v1/account-key";
export const INFO_AUK = "safehold/v1/auk";
export const INFO_SRP_X = "safehold/v1/srp-x";
export const KDF_SALT_LEN = 16;
export const ACCOUNT_ID_LEN = 16;
export const KEY_LEN = 32;

/** spec §3.2: the cost of new accounts, and this client's floor. */
export const DEFAULT_KDF_PARAMS = Object.freeze({ t: 3, m_kib: 65536, p: 4 });
/** spec §3.2: ceilings, so a server cannot exhaust the device. */
export const KDF_CEILINGS = Object.freeze({ t: 20, m_kib: 1024 * 1024, p: 16 });

/** HKDF-SHA256 (RFC 5869). `salt = null` is HKDF's default: HashLen zero bytes. */
export async function hkdf(ikm, salt, info, length) {
  const key = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: salt ?? new Uint8Array(32),
      info: typeof info === "string" ? utf8.encode(info) : info,
    },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

let hashwasmPromise = null;

// hash-wasm's UMD build: loaded as a module in a browser it finds neither `exports` nor
// `define` and attaches itself to globalThis.hashwasm; in Node the vendored .js file is
// CommonJS and its exports arrive as the module's default export. Either way, no bundler.
async function loadHashWasm() {
  hashwasmPromise ??= import(new URL("../vendor/hash-wasm/argon2.umd.min.js", import.meta.url).href).then(
    (mod) => globalThis.hashwasm?.argon2id ? globalThis.hashwasm : (mod.default ?? mod),
  );
  return hashwasmPromise;
}

/** Argon2id v1.3 (RFC 9106), no secret, no associated data. Returns `length` bytes. */
export async function argon2id(password, salt, params, length = KEY_LEN) {
  const { argon2id: run } = await loadHashWasm();
  return run({
    password,
    salt,
    iterations: params.t,
    memorySize: params.m_kib,
    parallelism: params.p,
    hashLength: length,
    outputType: "binary",
  });
}

/**
 * spec §3.2: refuse a cost below `floor` or above the ceilings, before running Argon2id.
 * The floor is this client's own setting; nothing the server sends can lower it.
 */
export function checkKdfParams(params, floor = DEFAULT_KDF_PARAMS) {
  const { t, m_kib, p } = params;
  if (![t, m_kib, p].every(Number.isSafeInteger)) throw new KdfParamsRejected("Argon2id parameters must be integers");
  if (t < floor.t || m_kib < floor.m_kib || p < floor.p) {
    throw new KdfParamsRejected(
      `the server asked for a weaker password hashing cost (t=${t}, m=${m_kib} KiB, p=${p}) than this device accepts`,
    );
  }
  if (t > KDF_CEILINGS.t || m_kib > KDF_CEILINGS.m_kib || p > KDF_CEILINGS.p) {
    throw new KdfParamsRejected(`the server asked for an excessive password hashing cost (t=${t}, m=${m_kib} KiB, p=${p})`);
  }
  if (m_kib < 8 * p) throw new KdfParamsRejected("Argon2id needs at least 8 KiB of memory per lane");
  return { t, m_kib, p };
}

/** `s`: binds the server's salt to the account's email. */
export async function argon2Salt(email, kdfSalt) {
  return hkdf(kdfSalt, emailBytes(email), INFO_KDF_SALT, 16);
}

/** `ka`. */
export async function accountKeyPart(accountKeySecret, accountId) {
  return hkdf(accountKeySecret, accountId, INFO_ACCOUNT_KEY, KEY_LEN);
}

/**
 * spec §3.1: derive `auk` and the SRP `x` from the password and the account key.
 * Returns { argon2Salt, kp, ka, auk, srpX } (srpX is a BigInt). `floor` lowers the
 * accepted cost for tests only; pass `null` to skip the check (test vectors).
 */
export async function deriveKeys({ email, password, accountKeySecret, accountId, kdfSalt, params, floor = DEFAULT_KDF_PARAMS }) {
  if (floor !== null) checkKdfParams(params, floor);
  if (accountId.length !== ACCOUNT_ID_LEN || kdfSalt.length !== KDF_SALT_LEN) {
    throw new CryptoError("account_id and kdf_salt are 16 bytes each");
  }
  const s = await argon2Salt(email, kdfSalt);
  const kp = await argon2id(passwordBytes(password), s, params);
  const ka = await accountKeyPart(accountKeySecret, accountId);
  const mk = xorBytes(kp, ka);
  const auk = await hkdf(mk, null, INFO_AUK, KEY_LEN);
  const srpX = bytesToInt(await hkdf(mk, null, INFO_SRP_X, KEY_LEN));
  return { argon2Salt: s, kp, ka, auk, srpX };
}

// --- SRP-6a (spec §6) ------------------------------------------------------------------

/** RFC 5054's 3072-bit group (RFC 3526 group 15), g = 5, H = SHA-256. */
export const SRP_N = BigInt(
  "0x" +
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74" +
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437" +
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed" +
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05" +
    "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb" +
    "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b" +
    "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718" +
    "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33" +
    "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7" +
    "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864" +
    "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2" +
    "08e24fa074e5ab3143db5bfce0fd108e4b82d120a93ad2caffffffffffffffff",
);
export const SRP_G = 5n;
const N_LEN = 384;

/** base^exp mod m by square-and-multiply (BigInt has no built-in modpow). */
export function modPow(base, exp, m) {
  let result = 1n;
  base %= m;
  if (base < 0n) base += m;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % m;
    base = (base * base) % m;
    exp >>= 1n;
  }
  return result;
}

function pad(n) {
  return intToBytes(n, N_LEN);
}

async function sha256(...parts) {
  return new Uint8Array(await subtle.digest("SHA-256", concatBytes(...parts)));
}

/** `v = g^x mod N`: all the server stores of the password and the account key. */
export function srpVerifier(x) {
  return modPow(SRP_G, x, SRP_N);
}

/** `k = H(PAD(N) | PAD(g))`. */
export async function srpK() {
  return bytesToInt(await sha256(pad(SRP_N), pad(SRP_G)));
}

export function srpA(a) {
  return modPow(SRP_G, a, SRP_N);
}

export async function srpB(v, b) {
  return ((await srpK()) * v + modPow(SRP_G, b, SRP_N)) % SRP_N;
}

export async function srpU(A, B) {
  const u = bytesToInt(await sha256(pad(A), pad(B)));
  if (u === 0n) throw new SrpError("SRP scrambling parameter u is zero");
  return u;
}

/** `K`, `M1`, `M2` from the premaster secret `S`. */
export async function srpProofs(email, salt, A, B, S) {
  const K = await sha256(pad(S));
  const hxor = xorBytes(await sha256(pad(SRP_N)), await sha256(pad(SRP_G)));
  const M1 = await sha256(hxor, await sha256(emailBytes(email)), salt, pad(A), pad(B), K);
  const M2 = await sha256(pad(A), M1, K);
  return { K, M1, M2 };
}

/** The digest size of H (SHA-256): every proof is exactly this long (spec §6). */
export const SRP_PROOF_LEN = 32;

/** A value from the other side must be a BigInt in 1..N-1 (spec §6; as the Python client):
 *  that also rules out `X mod N = 0`, and a value of N or more that only `% N` would wrap. */
function checkPublic(value, sender, name) {
  if (typeof value !== "bigint" || value <= 0n || value >= SRP_N) {
    throw new SrpError(`the ${sender} sent an invalid SRP value ${name}: it must lie in 1..N-1`);
  }
  return value;
}

/** The client's side of a handshake with a given private `a`: { A, u, S, K, M1, M2 }. */
export async function srpClient({ email, salt, x, a, B }) {
  checkPublic(B, "server", "B");
  if (typeof a !== "bigint" || a <= 0n || a >= SRP_N) throw new SrpError("an SRP private value must lie in 1..N-1");
  if (typeof x !== "bigint" || x <= 0n) throw new SrpError("the SRP x must be a positive integer");
  if (!(salt instanceof Uint8Array)) throw new SrpError("the SRP salt must be bytes");
  const A = srpA(a);
  const u = await srpU(A, B);
  const base = (B - (await srpK()) * modPow(SRP_G, x, SRP_N)) % SRP_N;
  const S = modPow(base, a + u * x, SRP_N);
  return { A, u, S, ...(await srpProofs(email, salt, A, B, S)) };
}

/**
 * Check the server's proof `M2` against the one computed by {@link srpClient}: the server
 * must prove it knows the verifier before anything it sends is trusted (spec §6). `M2` is
 * exactly {@link SRP_PROOF_LEN} bytes (a shorter one is not padded into a match) and is
 * compared without an early exit. Throws {@link SrpError}; returns nothing.
 */
export function srpVerifyServer(expected, M2) {
  if (!(M2 instanceof Uint8Array) || M2.length !== SRP_PROOF_LEN) {
    throw new SrpError(`an SRP proof M2 is ${SRP_PROOF_LEN} bytes`);
  }
  if (!(expected instanceof Uint8Array) || expected.length !== SRP_PROOF_LEN) {
    throw new SrpError("no SRP proof yet: process the server's challenge first");
  }
  let diff = 0;
  for (let i = 0; i < SRP_PROOF_LEN; i++) diff |= expected[i] ^ M2[i];
  if (diff !== 0) throw new SrpError("the server could not prove it knows this account's verifier");
}

/** The server's premaster secret `S = (A · v^u)^b mod N`. */
export async function srpServerPremaster({ A, B, v, b }) {
  checkPublic(A, "client", "A");
  const u = await srpU(A, B);
  return modPow(A * modPow(v, u, SRP_N), b, SRP_N);
}

// --- Envelope (spec §5) ----------------------------------------------------------------

export const ENVELOPE_VERSION = 0x01;
export const NONCE_LEN = 12;
const TAG_LEN = 16;

async function aesKey(key, usage) {
  // A key made by importEnvelopeKey is used as it is: imported once, not per envelope.
  if (typeof CryptoKey !== "undefined" && key instanceof CryptoKey) return key;
  if (key.length !== KEY_LEN) throw new CryptoError("an envelope key is 32 bytes");
  return subtle.importKey("raw", key, "AES-GCM", false, [usage]);
}

function adBytes(ad) {
  return typeof ad === "string" ? utf8.encode(ad) : ad;
}

/**
 * A 32-byte envelope key as a non-extractable WebCrypto key for seal and open (and so
 * sealWrite, openWrite): imported once, its bytes cannot be read back out of it.
 */
export async function importEnvelopeKey(key) {
  if (key.length !== KEY_LEN) throw new CryptoError("an envelope key is 32 bytes");
  return subtle.importKey("raw", key, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** `0x01 | nonce | AES-256-GCM(key, nonce, plaintext, ad)`. `nonce` only for test vectors. */
export async function seal(key, plaintext, ad, nonce = randomBytes(NONCE_LEN)) {
  if (nonce.length !== NONCE_LEN) throw new CryptoError("an envelope nonce is 12 bytes");
  const ct = await subtle.encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: adBytes(ad), tagLength: 128 },
    await aesKey(key, "encrypt"),
    plaintext,
  );
  return concatBytes(Uint8Array.of(ENVELOPE_VERSION), nonce, new Uint8Array(ct));
}

/** Inverse of seal; TamperedData for every failure (version, length, tag) alike. */
export async function open(key, envelope, ad) {
  const cryptoKey = await aesKey(key, "decrypt");
  if (envelope.length < 1 + NONCE_LEN + TAG_LEN || envelope[0] !== ENVELOPE_VERSION) throw new TamperedData();
  try {
    const pt = await subtle.decrypt(
      { name: "AES-GCM", iv: envelope.subarray(1, 1 + NONCE_LEN), additionalData: adBytes(ad), tagLength: 128 },
      cryptoKey,
      envelope.subarray(1 + NONCE_LEN),
    );
    return new Uint8Array(pt);
  } catch {
    throw new TamperedData();
  }
}

/**
 * open() with a key from importEnvelopeKey, starting the decryption before it returns (no
 * wait in between): a bulk pull then decrypts one envelope while it decodes the next.
 * The same checks and the same single TamperedData for every failure.
 */
export function openImported(cryptoKey, envelope, ad) {
  if (envelope.length < 1 + NONCE_LEN + TAG_LEN || envelope[0] !== ENVELOPE_VERSION) {
    return Promise.reject(new TamperedData());
  }
  return subtle
    .decrypt(
      { name: "AES-GCM", iv: envelope.subarray(1, 1 + NONCE_LEN), additionalData: adBytes(ad), tagLength: 128 },
      cryptoKey,
      envelope.subarray(1 + NONCE_LEN),
    )
    .then(
      (pt) => new Uint8Array(pt),
      () => {
        throw new TamperedData();
      },
    );
}

// --- Keys, keyset, items (spec §7) -----------------------------------------------------

export function newVaultKey() {
  return randomBytes(KEY_LEN);
}

export function keysetAd(accountId, generation) {
  return `safehold/v1/keyset|${bytesToHex(accountId)}|${generation}`;
}

export function itemAd(accountId, itemId, generation) {
  return `safehold/v1/item|${bytesToHex(accountId)}|${bytesToHex(itemId)}|${generation}`;
}

export async function sealKeyset(auk, vk, accountId, generation, nonce) {
  return seal(auk, vk, keysetAd(accountId, generation), nonce);
}

export async function openKeyset(auk, keyset, accountId, generation) {
  const vk = await open(auk, keyset, keysetAd(accountId, generation));
  if (vk.length !== KEY_LEN) throw new TamperedData();
  return vk;
}

// Python sorts dict keys by code point; JavaScript's default sort compares UTF-16 code
// units, which differs for characters above U+FFFF against U+E000..U+FFFF.
function compareCodePoints(a, b) {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0) - y.value.codePointAt(0);
    if (d !== 0) return d;
  }
}

/**
 * spec §7: `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
 * Numbers are limited to safe integers: Python and JavaScript print floats differently.
 */
export function canonicalJson(value) {
  const write = (v) => {
    if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new CryptoError("canonical JSON allows only integer numbers");
      return String(v);
    }
    if (Array.isArray(v)) return `[${v.map(write).join(",")}]`;
    if (typeof v === "object") {
      const keys = Object.keys(v).sort(compareCodePoints);
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write(v[k])}`).join(",")}}`;
    }
    throw new CryptoError(`canonical JSON cannot encode ${typeof v}`);
  };
  return utf8.encode(write(value));
}

// --- Item writes, protocol v2: the vault log (spec §11) ------------------------------

export const PAD_MIN = 256;
export const PAD_STEP = 65536;
const HEX32 = /^[0-9a-f]{32}$/;
const PREV = /^[0-9a-f]{32}\.[1-9][0-9]{0,17}$/;

/** spec §11.3: the padded size of `n` plaintext bytes (a marker byte is added). */
export function paddedLength(n) {
  const need = n + 1;
  if (need <= PAD_MIN) return PAD_MIN;
  if (need <= PAD_STEP) {
    let size = PAD_MIN;
    while (size < need) size *= 2;
    return size;
  }
  return Math.ceil(need / PAD_STEP) * PAD_STEP;
}

/** ISO/IEC 7816-4: `data | 0x80 | 0x00...` to paddedLength(data.length). */
export function padPlaintext(data) {
  const out = new Uint8Array(paddedLength(data.length));
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** The plaintext in a padded block; TamperedData for any size, marker or filler that a
 * writer could not have produced (spec §11.3). */
export function unpadPlaintext(data) {
  return data.subarray(0, unpaddedLengthAt(data, 0, data.length));
}

/** How many of the `size` padded bytes of `buf` from `start` are the body (unpadPlaintext's
 * length, with no view made of them). */
export function unpaddedLengthAt(buf, start, size) {
  if (size < PAD_MIN || paddedLength(size - 1) !== size) throw new TamperedData();
  let end = start + size;
  while (end > start && buf[end - 1] === 0) end -= 1;
  const length = end - 1 - start;
  if (end === start || buf[end - 1] !== 0x80 || paddedLength(length) !== size) throw new TamperedData();
  return length;
}

export function writeAd(accountId, claims, generation) {
  const { itemId, revision, deleted, device, seq } = claims;
  return (
    `safehold/v2/item|${bytesToHex(accountId)}|${itemId}|${generation}|${revision}|` +
    `${deleted ? 1 : 0}|${device}|${seq}`
  );
}

/** Whether a write's claims have the shape spec §11 allows (ids hex, numbers from 1). */
export function checkClaims(claims) {
  const { itemId, revision, device, seq } = claims;
  return HEX32.test(itemId) && HEX32.test(device) && Number.isSafeInteger(revision) && revision >= 1 &&
    Number.isSafeInteger(seq) && seq >= 1;
}

/**
 * spec §11: seal one write. `claims` = {itemId, revision, deleted, device, seq} (ids as
 * lowercase hex); `value` is an object, or null exactly for a tombstone; `prev` names the
 * writer's previous write ("<item hex>.<revision>") or is null for its first.
 */
export async function sealWrite(vk, accountId, generation, claims, value, prev, nonce) {
  if (!checkClaims(claims)) throw new CryptoError("a write's ids are 32 hex digits and its numbers start at 1");
  const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
  if (claims.deleted ? value !== null : !isObject) {
    throw new CryptoError("a tombstone seals null and a live write seals an object");
  }
  if (prev !== null && !PREV.test(prev)) throw new CryptoError("prev is <item hex>.<revision>");
  const body = padPlaintext(canonicalJson({ prev, value }));
  return seal(vk, body, writeAd(accountId, claims, generation), nonce);
}

/** Inverse of sealWrite: `{value, prev}`, or TamperedData if any claim, the padding or the
 * body's shape does not match. */
export async function openWrite(vk, accountId, generation, claims, envelope) {
  if (!checkClaims(claims)) throw new TamperedData();
  return readWriteBody(claims, await open(vk, envelope, writeAd(accountId, claims, generation)));
}

/** The checks of openWrite after the decryption: `padded` is the opened plaintext. */
export function readWriteBody(claims, padded) {
  const body = unpadPlaintext(padded);
  let text;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw new TamperedData();
  }
  return checkWriteBody(claims.deleted, text);
}

/** readWriteBody's checks of an unpadded body already decoded as UTF-8 (`text`), for a write
 * whose claims say `deleted` (the only claim they read): a bulk opener keeps that flag per
 * record rather than a claims object. */
export function checkWriteBody(deleted, text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TamperedData();
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new TamperedData();
  // Exactly the two keys "prev" and "value" (counted without an array of them, and no
  // sort: this runs for every pulled record; JSON.parse makes plain objects, whose
  // enumerable keys are their own).
  let keys = 0;
  for (const _ in parsed) keys += 1;
  if (keys !== 2 || !Object.hasOwn(parsed, "prev") || !Object.hasOwn(parsed, "value")) throw new TamperedData();
  const { value, prev } = parsed;
  const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
  if (deleted ? value !== null : !isObject) throw new TamperedData();
  if (prev !== null && (typeof prev !== "string" || !PREV.test(prev))) throw new TamperedData();
  // The parsed object is {prev, value} itself: returned as it is, not copied.
  return parsed;
}

// --- Emergency Kit (spec §8) -----------------------------------------------------------

// RFC 3986 unreserved characters are the only ones left as they are, like Python's
// urllib.parse.quote(value, safe=""); encodeURIComponent also spares !'()*, so those
// are encoded here by hand.
function percentEncode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** `safehold://kit?v=1&server=…&email=…&key=…` (or `folder=…` for a vault kept in a folder),
 * as KitPayload.to_uri() writes it. */
export function kitUri({ server, folder = null, email, accountKeyText }) {
  const where = folder === null || folder === undefined ? `server=${percentEncode(server)}` : `folder=${percentEncode(folder)}`;
  return `safehold://kit?v=1&${where}&email=${percentEncode(email)}&key=${percentEncode(accountKeyText)}`;
}

// --- Account reset (spec §9) -----------------------------------------------------------

/**
 * Build everything an account reset needs, in the browser: a new account key, a new vault
 * key, new `kdf_salt`, `auk` and `v`, and the keyset sealed under `nextGeneration`.
 *
 * `info` is the server's ResetInfo ({ email, account_id, next_generation, kdf_params }).
 * Returns { request, accountKeyText }: `request` is the JSON body of
 * POST /api/v1/reset/{token} (only public values); the account key text is for the
 * result view and the kit, and must never be sent anywhere.
 *
 * The cost is the server's `kdf_params` raised to this client's floor where lower, so the
 * new account never has a cost the clients would refuse at sign-in. `derive` lets the
 * page run deriveKeys in a Web Worker; it defaults to running it here.
 */
export async function buildReset({ info, password, hint = "", floor = DEFAULT_KDF_PARAMS, derive = deriveKeys }) {
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
  const vk = newVaultKey();
  const kdfSalt = randomBytes(KDF_SALT_LEN);
  const { auk, srpX } = await derive({
    email: info.email,
    password,
    accountKeySecret,
    accountId,
    kdfSalt,
    params,
    floor,
  });
  const keyset = await sealKeyset(auk, vk, accountId, info.next_generation);
  return {
    request: {
      kdf_salt: b64urlEncode(kdfSalt),
      kdf_params: params,
      verifier: intToHex(srpVerifier(srpX)),
      keyset: b64urlEncode(keyset),
      hint: hint || null,
      confirm_wipe: true,
    },
    accountKeyText: accountKeyToText(accountKeySecret),
  };
}
