// Runs the key derivation (Argon2id, seconds of work) off the page's main thread, so the
// progress display stays alive. Receives deriveKeys' arguments, answers with
// { auk, srpX } or { error }. The secrets stay in this browser tab.

import { deriveKeys } from "./protocol.js";

self.onmessage = async (event) => {
  try {
    const { auk, srpX } = await deriveKeys(event.data);
    self.postMessage({ auk, srpX });
  } catch (err) {
    self.postMessage({ error: { name: err.name, message: err.message } });
  }
};
