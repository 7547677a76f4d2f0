// Argon2id (spec §3) in a Web Worker (derive-worker.js), so the page stays responsive for
// the seconds it takes; where workers are unavailable the same function runs here. Used by
// the vault's sign-in and password change (vault/session.js) and by the reset and recovery
// pages (new-keys-form.js).

import { CryptoError, KdfParamsRejected, deriveKeys } from "./protocol.js";

export function deriveInWorker(args) {
  let worker;
  try {
    worker = new Worker(new URL("./derive-worker.js", import.meta.url), { type: "module" });
  } catch {
    return deriveKeys(args);
  }
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      worker.terminate();
      // The worker sends an error's name and message: a refused cost stays that kind.
      if (data.error) reject(data.error.name === "KdfParamsRejected" ? new KdfParamsRejected(data.error.message) : new CryptoError(data.error.message));
      else resolve(data);
    };
    worker.onerror = (event) => {
      worker.terminate();
      event.preventDefault();
      deriveKeys(args).then(resolve, reject);
    };
    worker.postMessage(args);
  });
}
