// The web vault's decryption thread (opener.js): AES-GCM decryptions of a pull's records,
// nothing else. A WebCrypto call costs the calling thread a few microseconds whatever the
// record's size; on 10,000 records that was most of a pull's time on the page's thread.
// Here the calls run beside the page's own work (claims, AD, padding and body checks,
// which all stay in opener.js).
//
// Messages in: {kind: "key", key} once (the vault key, a non-extractable CryptoKey), then
// {kind: "open", batch, count, env, envAt, ad, adAt}: `env` and `ad` the records' bytes
// laid end to end (env: nonce then ciphertext), `envAt` and `adAt` Int32Arrays of
// [start, end) pairs, one pair for each of the first `count` records. Out: {kind: "opened", batch, plain, plainAt} with the
// plaintexts end to end and a pair per record ([-1, -1]: it did not decrypt); or
// {kind: "failed", batch} if no key was given. Every buffer is transferred, not copied.

// spec §5 (protocol.js NONCE_LEN): not imported, so the thread loads nothing but this file.
const NONCE_LEN = 12;
let key = null;

async function open({ batch, count: n, env, envAt, ad, adAt }) {
  const params = { name: "AES-GCM", iv: null, additionalData: null, tagLength: 128 };
  const waits = new Array(n);
  for (let i = 0; i < n; i++) {
    const start = envAt[2 * i];
    // WebCrypto copies its inputs at the call: one parameter object serves every record.
    params.iv = new Uint8Array(env, start, NONCE_LEN);
    params.additionalData = new Uint8Array(ad, adAt[2 * i], adAt[2 * i + 1] - adAt[2 * i]);
    waits[i] = crypto.subtle.decrypt(params, key, new Uint8Array(env, start + NONCE_LEN, envAt[2 * i + 1] - start - NONCE_LEN));
  }
  let results;
  try {
    results = await Promise.all(waits);
  } catch {
    // A record that did not decrypt (rare: a tampered one): every outcome, one by one.
    results = (await Promise.allSettled(waits)).map((r) => (r.status === "fulfilled" ? r.value : null));
  }
  let total = 0;
  for (const r of results) if (r !== null) total += r.byteLength;
  const plain = new Uint8Array(total);
  const plainAt = new Int32Array(2 * n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const r = results[i];
    if (r === null) {
      plainAt[2 * i] = plainAt[2 * i + 1] = -1;
      continue;
    }
    plain.set(new Uint8Array(r), at);
    plainAt[2 * i] = at;
    at += r.byteLength;
    plainAt[2 * i + 1] = at;
  }
  self.postMessage({ kind: "opened", batch, plain: plain.buffer, plainAt }, [plain.buffer, plainAt.buffer]);
}

self.onmessage = (event) => {
  const m = event.data;
  if (m.kind === "key") key = m.key;
  else if (m.kind === "open" && key === null) self.postMessage({ kind: "failed", batch: m.batch });
  else if (m.kind === "open") open(m).catch(() => self.postMessage({ kind: "failed", batch: m.batch }));
};
