// What the reset page (/reset/<token>, reset-page.js) and the recovery page
// (/recover/<token>, recover-page.js) share: both take a new password, judge it with zxcvbn,
// make new keys with Argon2id in a worker, post only public values, then show the new account
// key with its QR code and Emergency Kit. Each page keeps what is its own (the recovery code,
// the wipe box, the scheduled-reset note) and its own words.
//
// The password and the account key never leave the page: nothing here sends them.

import { kitUri } from "./protocol.js";
import { deriveInWorker } from "./derive.js";
import { kitPdf, qrMatrix, qrSvg } from "./kit.js";
import { assessPassword, loadZxcvbn } from "./strength.js";

export const $ = (id) => document.getElementById(id);

// The messages both pages show in the same words; each page adds its own (token_*, refused…).
export const COMMON_MESSAGES = {
  empty: "Enter a new account password.",
  weak: "This password is too easy to guess. Choose a longer one: a few unrelated words work well.",
  mismatch: "The two passwords do not match. Type the same password in both fields.",
  meter_unavailable: "The password strength check could not be loaded. Reload the page and try again; nothing was changed.",
  too_many_requests: "Too many attempts. Wait a few minutes and try again.",
  // Three different failures, three different messages: the browser could not make the
  // keys; the server looked at them and said no; the server never answered properly.
  crypto: "Your browser could not create the keys",
  network: "The server could not be reached; nothing was changed. Try again.",
};

export { deriveInWorker };

const IDLE_TEXT = "Use a long password you do not use anywhere else: a few unrelated words work well.";

// The server's error body ({ error: { code, message, field } }), or {} when it is not JSON
// (a proxy's error page, a dropped connection mid-body).
export async function errorOf(response) {
  try {
    const body = await response.json();
    return body?.error ?? {};
  } catch {
    return {};
  }
}

/** The form's shared parts, bound to its elements: `messages` are every message it shows,
 * keyed so tests and styles can tell them apart; `local` are the keys the server's error
 * codes must not pick (the page's own failures). */
export function newKeysForm({ form, messages, email, server, local = [] }) {
  const password = $("password");
  const confirm = $("confirm");
  const errorBox = $("form-error");

  function showError(kind, detail = "") {
    const base = messages[kind];
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
      $("meter-text").textContent = messages.meter_unavailable;
    },
  );

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
    const result = assessPassword(zxcvbn, password.value, email);
    $("meter-bar").dataset.score = String(result.score);
    meterText.dataset.score = String(result.score);
    const advice = [result.warning, ...result.suggestions].filter(Boolean).map((s) => (/[.!?]$/.test(s) ? s : `${s}.`));
    meterText.textContent = [`Strength: ${result.label} (${result.score} of 4).`, ...advice].join(" ");
    return result;
  }

  /** `[kind, detail?]` for a password the form must not take, else null. */
  async function checkPassword() {
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

  function setBusy(busy, text = "") {
    for (const el of form.elements) el.disabled = busy;
    $("progress").hidden = !busy;
    if (text) $("progress-text").textContent = text;
  }

  function showServerError(status, error) {
    const code = error.code ?? "";
    if (code in messages && !["crypto", "refused", "network", ...local].includes(code)) {
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

  /** The new account key, its QR code and the Emergency Kit button; the page has already
   * emptied its secret fields and removed the form. */
  function showKit(accountKeyText) {
    const uri = kitUri({ server, email, accountKeyText });
    $("account-key").textContent = accountKeyText;
    $("qr").appendChild(qrSvg(qrMatrix(uri), { label: "Emergency Kit QR code: server, email and account key" }));
    $("save-kit").addEventListener("click", () => {
      const pdf = kitPdf({ server, email, accountKeyText, uri, created: new Date() });
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

  /** Submit runs `check` (a problem is shown, nothing sent) then `submit`, one at a time. */
  function onSubmit(check, submit) {
    password.addEventListener("input", updateMeter);
    form.addEventListener("submit", async (event) => {
      // First, before anything awaits: this form must never be submitted by the browser itself.
      event.preventDefault();
      if (form.dataset.busy) return;
      form.dataset.busy = "1";
      try {
        clearError();
        const problem = await check();
        if (problem) {
          showError(...problem);
          return;
        }
        await submit();
      } finally {
        delete form.dataset.busy;
      }
    });
  }

  return { password, confirm, showError, checkPassword, setBusy, showServerError, showKit, onSubmit };
}
