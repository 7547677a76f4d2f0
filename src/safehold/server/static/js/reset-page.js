// The page at /reset/<token>: checks the form, makes the new keys in this browser
// (spec/protocol.md §9), sends only public values to POST /api/v1/reset/<token>, then
// shows the new account key, its QR code and the Emergency Kit.
//
// The password, the account key and the vault key never leave this page: they are not in
// any request, and the account key appears only in the result view.

import { buildReset, deriveKeys, kitUri, CryptoError } from "./protocol.js";
import { kitPdf, qrMatrix, qrSvg } from "./kit.js";
import { MIN_SCORE, scorePassword } from "./strength.js";

const $ = (id) => document.getElementById(id);

const app = $("reset-app");
const info = {
  email: app.dataset.email,
  account_id: app.dataset.accountId,
  next_generation: Number(app.dataset.nextGeneration),
  kdf_params: {
    t: Number(app.dataset.kdfT),
    m_kib: Number(app.dataset.kdfMKib),
    p: Number(app.dataset.kdfP),
  },
};
const server = app.dataset.server;
const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());

const form = $("reset-form");
const password = $("password");
const confirm = $("confirm");
const hint = $("hint");
const wipe = $("confirm-wipe");
const errorBox = $("form-error");

// Every message the form can show, keyed so tests and styles can tell them apart.
const MESSAGES = {
  empty: "Enter a new account password.",
  weak: "This password is too easy to guess. Choose a longer one: a few unrelated words work well.",
  mismatch: "The two passwords do not match. Type the same password in both fields.",
  unticked: "Tick the box to confirm that you understand all data in this account will be deleted.",
  token_expired: "This reset link has expired. Nothing was changed. Start the process again.",
  token_used: "This reset link was already used. Start the process again if you need another reset.",
  token_invalid: "This reset link is not valid. Start the process again.",
  account_reset: "This account was reset meanwhile, through another link. Start the process again.",
  too_many_requests: "Too many attempts. Wait a few minutes and try again.",
  network: "The server could not be reached. Check your connection and try again; nothing was changed.",
  crypto: "Your browser could not create the keys",
};

function showError(kind, detail = "") {
  errorBox.textContent = MESSAGES[kind] + (detail ? `: ${detail}` : "");
  errorBox.dataset.error = kind;
  errorBox.hidden = false;
  errorBox.scrollIntoView({ block: "center" });
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = "";
  delete errorBox.dataset.error;
}

function updateMeter() {
  const result = scorePassword(password.value, [info.email]);
  $("meter-bar").dataset.score = String(password.value ? result.score : 0);
  $("meter-text").textContent = password.value
    ? `Strength: ${result.label}.${result.advice ? " " + result.advice : ""}`
    : "Use a long password you do not use anywhere else: a few unrelated words work well.";
  return result;
}

function validate() {
  if (!password.value) return "empty";
  if (updateMeter().score < MIN_SCORE) return "weak";
  if (password.value !== confirm.value) return "mismatch";
  if (!wipe.checked) return "unticked";
  return null;
}

// Argon2id in a Web Worker keeps the page responsive; if workers are unavailable the same
// function runs here.
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

async function submitReset() {
  const started = performance.now();
  const { t, m_kib: m } = info.kdf_params;
  const label = `Creating your new keys (Argon2id, ${Math.max(m, 65536) / 1024} MiB, ${Math.max(t, 3)} passes)…`;
  setBusy(true, label);
  const timer = setInterval(() => {
    $("progress-text").textContent = `${label} ${((performance.now() - started) / 1000).toFixed(1)} s`;
  }, 200);
  let built;
  try {
    built = await buildReset({ info, password: password.value, hint: hint.value.trim(), derive: deriveInWorker });
  } catch (err) {
    clearInterval(timer);
    setBusy(false);
    showError("crypto", err.message);
    return;
  }
  clearInterval(timer);
  $("progress-text").textContent = "Resetting the account…";

  let response;
  try {
    response = await fetch(`/api/v1/reset/${encodeURIComponent(token)}`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        // The generation this page was made for: a second reset finished meanwhile is refused.
        "Safehold-Generation": String(info.next_generation - 1),
      },
      body: JSON.stringify(built.request),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    setBusy(false);
    showError("network");
    return;
  }
  if (!response.ok) {
    setBusy(false);
    let code = "";
    let message = `the server answered ${response.status}`;
    try {
      const body = await response.json();
      code = body?.error?.code ?? "";
      message = body?.error?.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    if (code in MESSAGES) showError(code);
    else showError("crypto", message);
    return;
  }
  showResult(built.accountKeyText);
}

function showResult(accountKeyText) {
  // The password fields are no longer needed: empty them before anything else.
  password.value = "";
  confirm.value = "";
  $("reset-step").hidden = true;
  $("reset-step").remove();

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
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearError();
  const problem = validate();
  if (problem) {
    showError(problem);
    return;
  }
  submitReset();
});
