// The page at /recover/<token> (spec/protocol.md §9.2): reads the recovery code, proves it
// to the server with `ra` and receives the wrapped vault key, opens it here with `rk`, makes
// a new account key, and sends only public values (and `ra`) to POST /api/v1/recover/<token>.
// Then it shows the new account key, its QR code and the Emergency Kit.
//
// The code, the password, the account key and the vault key never leave this page.

import { b64urlDecode, b64urlEncode, hexToBytes } from "./protocol.js";
import { RecoveryCodeError, RecoveryCodeTypo, buildRecovery, openRecovery, parseRecoveryCode, recoveryKeys } from "./recovery.js";
import { $, COMMON_MESSAGES, deriveInWorker, errorOf, newKeysForm } from "./new-keys-form.js";

const app = $("recover-app");
const info = {
  email: app.dataset.email,
  account_id: app.dataset.accountId,
  generation: Number(app.dataset.generation),
  kdf_params: { t: Number(app.dataset.kdfT), m_kib: Number(app.dataset.kdfMKib), p: Number(app.dataset.kdfP) },
};
const server = app.dataset.server;
const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());

const form = $("recover-form");
const code = $("code");
const hint = $("hint");

const MESSAGES = {
  ...COMMON_MESSAGES,
  code_empty: "Enter your recovery code (SHR1-…).",
  code_typo: "That recovery code has a typo. Check it against what you wrote down.",
  code_format: "That is not a recovery code",
  recovery_code_wrong:
    "That recovery code is not this account's code (wrong, replaced, revoked or already used). Nothing was changed.",
  token_expired: "This recovery link has expired. Nothing was changed. Ask for a new one.",
  token_used: "This recovery link was already used. Ask for a new one if you need it.",
  token_invalid: "This recovery link is not valid. Ask for a new one.",
  tampered: "The server's copy of your vault key does not open with this code; nothing was changed",
  refused: "The server refused the request",
};

const page = newKeysForm({ form, messages: MESSAGES, email: info.email, server, local: ["tampered"] });
const { password, confirm, showError, setBusy, showServerError } = page;

// The code first: a typo is found here, before anything is sent.
function readCode() {
  if (!code.value.trim()) return [null, ["code_empty"]];
  try {
    return [parseRecoveryCode(code.value), null];
  } catch (err) {
    if (err instanceof RecoveryCodeTypo) return [null, ["code_typo"]];
    if (err instanceof RecoveryCodeError) return [null, ["code_format", err.message]];
    throw err;
  }
}

async function post(path, body) {
  return fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
}

// The answer's JSON, or null when it showed an error.
async function call(path, body) {
  let response;
  try {
    response = await post(path, body);
  } catch {
    showError("network");
    return null;
  }
  if (!response.ok) {
    showServerError(response.status, await errorOf(response));
    return null;
  }
  return response.json();
}

// The request made for this code, password and hint. After the server could not be reached
// the same request goes again (the server answers a repeat of the request that used the link
// as the first time); new keys would leave the account under a key this page never showed.
let prepared = null;

async function submitRecovery(codeSecret) {
  const base = `/api/v1/recover/${encodeURIComponent(token)}`;
  const same = prepared && prepared.code === code.value && prepared.password === password.value && prepared.hint === hint.value.trim();
  if (same) {
    setBusy(true, "Recovering the account…");
    const again = await call(base, prepared.built.request);
    if (!again) return setBusy(false);
    const keyText = prepared.built.accountKeyText;
    prepared = null;
    showResult(keyText);
    return;
  }
  prepared = null;
  const accountId = hexToBytes(info.account_id);
  setBusy(true, "Checking the recovery code…");
  const keys = await recoveryKeys(codeSecret, accountId);
  const opened = await call(`${base}/open`, { auth: b64urlEncode(keys.ra) });
  if (!opened) return setBusy(false);
  let vk;
  try {
    vk = await openRecovery(keys.rk, b64urlDecode(opened.wrapped), accountId, info.generation);
  } catch {
    setBusy(false);
    showError("tampered");
    return;
  }
  const { t, m_kib: m } = info.kdf_params;
  const label = `Creating your new keys (Argon2id, ${Math.max(m, 65536) / 1024} MiB, ${Math.max(t, 3)} passes)…`;
  setBusy(true, label);
  let built;
  try {
    built = await buildRecovery({ info, vk, ra: keys.ra, password: password.value, hint: hint.value.trim(), derive: deriveInWorker });
  } catch (err) {
    setBusy(false);
    showError("crypto", err?.message ?? String(err));
    return;
  }
  prepared = { code: code.value, password: password.value, hint: hint.value.trim(), built };
  $("progress-text").textContent = "Recovering the account…";
  const done = await call(base, built.request);
  if (!done) return setBusy(false);
  prepared = null;
  showResult(built.accountKeyText);
}

function showResult(accountKeyText) {
  code.value = "";
  password.value = "";
  confirm.value = "";
  $("recover-step").remove();
  page.showKit(accountKeyText);
}

let codeSecret = null;

async function check() {
  let problem;
  [codeSecret, problem] = readCode();
  return problem ?? (await page.checkPassword());
}

page.onSubmit(check, () => submitRecovery(codeSecret));
