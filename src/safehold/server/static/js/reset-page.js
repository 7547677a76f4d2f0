// The page at /reset/<token>: checks the form, makes the new keys in this browser
// (spec/protocol.md §9), sends only public values to POST /api/v1/reset/<token>, then
// shows the new account key, its QR code and the Emergency Kit.
//
// The password, the account key and the vault key never leave this page: they are not in
// any request, and the account key appears only in the result view.

import { buildReset } from "./protocol.js";
import { $, COMMON_MESSAGES, deriveInWorker, errorOf, newKeysForm } from "./new-keys-form.js";

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
const hint = $("hint");
const wipe = $("confirm-wipe");
// Absent when the server keeps no archive (SAFEHOLD_RESET_ARCHIVE_DAYS=0).
const deleteOld = $("delete-old");

const MESSAGES = {
  ...COMMON_MESSAGES,
  unticked: "Tick the box to confirm that you understand all data in this account will be deleted.",
  token_expired: "This reset link has expired. Nothing was changed. Start the process again.",
  token_used: "This reset link was already used. Start the process again if you need another reset.",
  token_invalid: "This reset link is not valid. Start the process again.",
  account_reset: "This account was reset meanwhile, through another link. Start the process again.",
  refused: "The server refused the new keys",
};

const page = newKeysForm({ form, messages: MESSAGES, email: info.email, server });
const { password, confirm, showError, setBusy, showServerError } = page;

async function validate() {
  const problem = await page.checkPassword();
  if (problem) return problem;
  if (!wipe.checked) return ["unticked"];
  return null;
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

  page.showKit(accountKeyText);
}

page.onSubmit(validate, submitReset);
