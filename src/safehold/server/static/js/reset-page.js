// The page at /reset/<token>: checks the form, makes the new keys in this browser
// (spec/protocol.md §9), sends only public values to POST /api/v1/reset/<token>, then
// shows the new account key, its QR code and the Emergency Kit.
//
// The password, the account key and the vault key never leave this page: they are not in
// any request, and the account key appears only in the result view.

import { buildReset, deriveKeys, kitUri, CryptoError } from "./protocol.js";
import { kitPdf, qrMatrix, qrSvg } from "./kit.js";
import { assessPassword, loadZxcvbn } from "./strength.js";

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
// Absent when the server keeps no archive (SAFEHOLD_RESET_ARCHIVE_DAYS=0).
const deleteOld = $("delete-old");
const errorBox = $("form-error");

// Every message the form can show, keyed so tests and styles can tell them apart.
const MESSAGES = {
  empty: "Enter a new account password.",
  weak: "This password is too easy to guess. Choose a longer one: a few unrelated words work well.",
  mismatch: "The two passwords do not match. Type the same password in both fields.",
  unticked: "Tick the box to confirm that you understand all data in this account will be deleted.",
  meter_unavailable: "The password strength check could not be loaded. Reload the page and try again; nothing was changed.",
  token_expired: "This reset link has expired. Nothing was changed. Start the process again.",
  token_used: "This reset link was already used. Start the process again if you need another reset.",
  token_invalid: "This reset link is not valid. Start the process again.",
  account_reset: "This account was reset meanwhile, through another link. Start the process again.",
  too_many_requests: "Too many attempts. Wait a few minutes and try again.",
  // Three different failures, three different messages: the browser could not make the
  // keys; the server looked at them and said no; the server never answered properly.
  crypto: "Your browser could not create the keys",
  refused: "The server refused the new keys",
  network: "The server could not be reached; nothing was changed. Try again.",
};

function showError(kind, detail = "") {
  const base = MESSAGES[kind];
  // "Sentence. Detail." after a full stop, "Words: detail" after a fragment.
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

// zxcvbn is ~800 KB: fetched once, in the background, as soon as the page runs. The form
// works without waiting for it; only judging the password does.
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

const IDLE_TEXT = "Use a long password you do not use anywhere else: a few unrelated words work well.";

function updateMeter() {
  const meterText = $("meter-text");
  if (!password.value) {
    $("meter-bar").dataset.score = "0";
    delete meterText.dataset.score;
    meterText.textContent = IDLE_TEXT;
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

async function validate() {
  if (!password.value) return ["empty"];
  try {
    zxcvbn ??= await zxcvbnReady;
  } catch {
    return ["meter_unavailable"];
  }
  const result = updateMeter();
  if (!result.acceptable) return ["weak", result.warning.replace(/[.!?]$/, "")];
  if (password.value !== confirm.value) return ["mismatch"];
  if (!wipe.checked) return ["unticked"];
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

// The keys made for this password and hint. A retry after the server could not be reached
// sends the same keys again rather than deriving new ones (seconds of Argon2id).
let prepared = null;

async function submitReset() {
  const started = performance.now();
  const { t, m_kib: m } = info.kdf_params;
  const label = `Creating your new keys (Argon2id, ${Math.max(m, 65536) / 1024} MiB, ${Math.max(t, 3)} passes)…`;
  const hintText = hint.value.trim();
  let built = prepared && prepared.password === password.value && prepared.hint === hintText ? prepared.built : null;
  if (!built) {
    prepared = null;
    setBusy(true, label);
    const timer = setInterval(() => {
      $("progress-text").textContent = `${label} ${((performance.now() - started) / 1000).toFixed(1)} s`;
    }, 200);
    try {
      built = await buildReset({ info, password: password.value, hint: hintText, derive: deriveInWorker });
    } catch (err) {
      setBusy(false);
      showError("crypto", err?.message ?? String(err));
      return;
    } finally {
      clearInterval(timer);
    }
    prepared = { password: password.value, hint: hintText, built };
  }
  setBusy(true);
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
      // Unticked (the default), the server keeps the old generation sealed for a while.
      body: JSON.stringify({ ...built.request, delete_old: Boolean(deleteOld?.checked) }),
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
    showServerError(response.status, await errorOf(response));
    return;
  }
  prepared = null;
  // A server that delays resets answers with the time it takes effect.
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    answer = {};
  }
  showResult(built.accountKeyText, answer?.scheduled_for ?? null);
}

function utcText(iso) {
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? String(iso) : `${when.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

// The server's error body ({ error: { code, message, field } }), or {} when it is not JSON
// (a proxy's error page, a dropped connection mid-body).
async function errorOf(response) {
  try {
    const body = await response.json();
    return body?.error ?? {};
  } catch {
    return {};
  }
}

function showServerError(status, error) {
  const code = error.code ?? "";
  if (code in MESSAGES && !["crypto", "refused", "network"].includes(code)) {
    showError(code);
  } else if (status >= 500 || status === 0) {
    showError("network");
  } else {
    // A 4xx the page has no words of its own for: the server looked at the request and
    // said no. Its message names the field; nothing was changed.
    const detail = error.message ?? `the server answered ${status}`;
    showError("refused", error.field && !detail.includes(error.field) ? `${error.field}: ${detail}` : detail);
  }
}

function showResult(accountKeyText, scheduledFor = null) {
  // The password fields are no longer needed: empty them before anything else.
  password.value = "";
  confirm.value = "";
  $("reset-step").hidden = true;
  $("reset-step").remove();
  if (scheduledFor) {
    $("result-title").textContent = "Your reset is scheduled";
    $("done-text").hidden = true;
    const note = $("scheduled-text");
    note.textContent =
      `The reset takes effect on ${utcText(scheduledFor)}. Until then your old password and account key ` +
      "keep working, and any signed-in device can cancel it (safehold reset --cancel). From then on, " +
      "this new account key and the new password open the account.";
    note.hidden = false;
  }

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
  // First, before anything awaits: this form must never be submitted by the browser itself.
  event.preventDefault();
  if (form.dataset.busy) return;
  form.dataset.busy = "1";
  try {
    clearError();
    const problem = await validate();
    if (problem) {
      showError(...problem);
      return;
    }
    await submitReset();
  } finally {
    delete form.dataset.busy;
  }
});
