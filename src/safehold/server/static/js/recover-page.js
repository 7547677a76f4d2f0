// The page at /recover/<token> (spec/protocol.md §9.2): reads the recovery code, proves it
// to the server with `ra` and receives the wrapped vault key, opens it here with `rk`, makes
// a new account key, and sends only public values (and `ra`) to POST /api/v1/recover/<token>.
// Then it shows the new account key, its QR code and the Emergency Kit.
//
// The code, the password, the account key and the vault key never leave this page.

import { deriveKeys, kitUri, CryptoError, b64urlDecode, b64urlEncode, hexToBytes } from "./protocol.js";
import { RecoveryCodeError, RecoveryCodeTypo, buildRecovery, openRecovery, parseRecoveryCode, recoveryKeys } from "./recovery.js";
import { kitPdf, qrMatrix, qrSvg } from "./kit.js";
import { assessPassword, loadZxcvbn } from "./strength.js";

const $ = (id) => document.getElementById(id);

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
const password = $("password");
const confirm = $("confirm");
const hint = $("hint");
const errorBox = $("form-error");

const MESSAGES = {
  code_empty: "Enter your recovery code (SHR1-…).",
  code_typo: "That recovery code has a typo. Check it against what you wrote down.",
  code_format: "That is not a recovery code",
  recovery_code_wrong:
    "That recovery code is not this account's code (wrong, replaced, revoked or already used). Nothing was changed.",
  empty: "Enter a new account password.",
  weak: "This password is too easy to guess. Choose a longer one: a few unrelated words work well.",
  mismatch: "The two passwords do not match. Type the same password in both fields.",
  meter_unavailable: "The password strength check could not be loaded. Reload the page and try again; nothing was changed.",
  token_expired: "This recovery link has expired. Nothing was changed. Ask for a new one.",
  token_used: "This recovery link was already used. Ask for a new one if you need it.",
  token_invalid: "This recovery link is not valid. Ask for a new one.",
  too_many_requests: "Too many attempts. Wait a few minutes and try again.",
  tampered: "The server's copy of your vault key does not open with this code; nothing was changed",
  crypto: "Your browser could not create the keys",
  refused: "The server refused the request",
  network: "The server could not be reached; nothing was changed. Try again.",
};

function showError(kind, detail = "") {
  const base = MESSAGES[kind];
  errorBox.textContent = !detail ? base : /[.!?]$/.test(base) ? `${base} ${detail}.` : `${base}: ${detail}`;
  errorBox.dataset.error = kind;
  errorBox.hidden = false;
  errorBox.scrollIntoView({ block: "center" });
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = "";
  delete errorBox.dataset.error;
}

const zxcvbnReady = loadZxcvbn();
let zxcvbn = null;
zxcvbnReady.then(
  (fn) => {
    zxcvbn = fn;
    if (password.value) updateMeter();
  },
  () => {
    $("meter-text").textContent = MESSAGES.meter_unavailable;
  },
);

function updateMeter() {
  const meterText = $("meter-text");
  if (!password.value) {
    $("meter-bar").dataset.score = "0";
    delete meterText.dataset.score;
    meterText.textContent = "Use a long password you do not use anywhere else: a few unrelated words work well.";
    return null;
  }
  if (!zxcvbn) {
    meterText.textContent = "Checking the password…";
    return null;
  }
  const result = assessPassword(zxcvbn, password.value, info.email);
  $("meter-bar").dataset.score = String(result.score);
  meterText.dataset.score = String(result.score);
  const advice = [result.warning, ...result.suggestions].filter(Boolean).map((s) => (/[.!?]$/.test(s) ? s : `${s}.`));
  meterText.textContent = [`Strength: ${result.label} (${result.score} of 4).`, ...advice].join(" ");
  return result;
}

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

async function validatePassword() {
  if (!password.value) return ["empty"];
  try {
    zxcvbn ??= await zxcvbnReady;
  } catch {
    return ["meter_unavailable"];
  }
  const result = updateMeter();
  if (!result.acceptable) return ["weak", result.warning.replace(/[.!?]$/, "")];
  if (password.value !== confirm.value) return ["mismatch"];
  return null;
}

function deriveInWorker(args) {
  let worker;
  try {
    worker = new Worker(new URL("./derive-worker.js", import.meta.url), { type: "module" });
  } catch {
    return deriveKeys(args);
  }
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      worker.terminate();
      if (data.error) reject(new CryptoError(data.error.message));
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

function setBusy(busy, text = "") {
  for (const el of form.elements) el.disabled = busy;
  $("progress").hidden = !busy;
  if (text) $("progress-text").textContent = text;
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

async function errorOf(response) {
  try {
    const body = await response.json();
    return body?.error ?? {};
  } catch {
    return {};
  }
}

function showServerError(status, error) {
  const kind = error.code ?? "";
  if (kind in MESSAGES && !["crypto", "refused", "network", "tampered"].includes(kind)) {
    showError(kind);
  } else if (status >= 500 || status === 0) {
    showError("network");
  } else {
    const detail = error.message ?? `the server answered ${status}`;
    showError("refused", error.field && !detail.includes(error.field) ? `${error.field}: ${detail}` : detail);
  }
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
  const uri = kitUri({ server, email: info.email, accountKeyText });
  $("account-key").textContent = accountKeyText;
  $("qr").appendChild(qrSvg(qrMatrix(uri), { label: "Emergency Kit QR code: server, email and account key" }));
  $("save-kit").addEventListener("click", () => {
    const pdf = kitPdf({ server, email: info.email, accountKeyText, uri, created: new Date() });
    const url = URL.createObjectURL(new Blob([pdf], { type: "application/pdf" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "Safehold Emergency Kit.pdf";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
  const result = $("result");
  result.hidden = false;
  result.focus();
}

password.addEventListener("input", updateMeter);
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (form.dataset.busy) return;
  form.dataset.busy = "1";
  try {
    clearError();
    const [codeSecret, codeProblem] = readCode();
    if (codeProblem) {
      showError(...codeProblem);
      return;
    }
    const problem = await validatePassword();
    if (problem) {
      showError(...problem);
      return;
    }
    await submitRecovery(codeSecret);
  } finally {
    delete form.dataset.busy;
  }
});
