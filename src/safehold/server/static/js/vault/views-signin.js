// The sign-in view: Email, Account password, Account key (typed forgivingly, or read from
// an Emergency Kit PDF or photo), and the three errors a person must tell apart.

import { Api } from "./api.js";
import { TEST_MODE } from "./config.js";
import { clear, field, h } from "./dom.js";
import { SignInError, signIn } from "./session.js";

export function renderSignIn(root, { email = "", message = "", onSignedIn, deviceFor = null }) {
  clear(root);
  const emailF = field("Email", { type: "email", value: email, autocomplete: "username", testid: "email" });
  const passwordF = field("Account password", { type: "password", autocomplete: "current-password", testid: "password" });
  const keyF = field("Account key", {
    autocomplete: "off",
    testid: "account-key",
    hint: "SH1-XXXX-…, from your Emergency Kit. Dashes, spaces and case do not matter.",
  });
  const kitId = "kit-file";
  const kitInput = h("input", { id: kitId, type: "file", accept: "application/pdf,image/*", dataset: { testid: "kit-file" } });
  const kitStatus = h("p", { class: "hint", role: "status", "aria-live": "polite", dataset: { testid: "kit-status" } });
  const error = h("p", { class: "error", role: "alert", dataset: { testid: "signin-error" }, hidden: true });
  const progress = h("p", { class: "notice", role: "status", "aria-live": "polite", hidden: true, dataset: { testid: "signin-progress" } });
  const button = h("button", { type: "submit", dataset: { testid: "signin" } }, "Sign in");
  const form = h(
    "form",
    { class: "card signin", novalidate: true, "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to your vault"),
    message ? h("p", { class: "notice", dataset: { testid: "signin-message" } }, message) : null,
    TEST_MODE ? h("p", { class: "warning" }, "Test-only settings are in force in this page.") : null,
    error,
    emailF.wrap,
    passwordF.wrap,
    keyF.wrap,
    h(
      "div",
      { class: "field" },
      h("label", { for: kitId }, "Or read the Emergency Kit (PDF or photo)"),
      kitInput,
      kitStatus,
    ),
    button,
    progress,
    h(
      "p",
      { class: "hint" },
      "Forgot the password or lost the account key on every device? ",
      h("a", { href: "/recover", dataset: { testid: "recover-link" } }, "Use your recovery code"),
      ", or ",
      h("a", { href: "/reset", dataset: { testid: "reset-link" } }, "reset the account"),
      " (a reset deletes everything in it).",
    ),
  );
  root.append(form);
  (email ? passwordF.input : emailF.input).focus();

  kitInput.addEventListener("change", async () => {
    const file = kitInput.files?.[0];
    if (!file) return;
    kitStatus.textContent = "Looking for the QR code in the kit…";
    try {
      const { readKitFile } = await import("./kitread.js");
      const kit = await readKitFile(file);
      emailF.input.value = kit.email;
      keyF.input.value = kit.accountKeyText;
      const here = root.closest("main")?.dataset.server ?? location.origin;
      kitStatus.textContent =
        kit.server.replace(/\/+$/, "") === here.replace(/\/+$/, "")
          ? "Read the email and the account key from the kit. Type your password to sign in."
          : `Read the email and the account key from the kit. Note: the kit names another server (${kit.server}).`;
      passwordF.input.focus();
    } catch (err) {
      kitStatus.textContent = `Could not read the kit: ${err.message}.`;
    } finally {
      kitInput.value = "";
    }
  });

  const showError = (kind, text) => {
    error.textContent = text;
    error.dataset.error = kind;
    error.hidden = false;
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.dataset.busy) return;
    error.hidden = true;
    const emailValue = emailF.input.value.trim();
    if (!emailValue) return showError("empty", "Enter the email address of your account.");
    if (!passwordF.input.value) return showError("empty", "Enter your account password.");
    if (!keyF.input.value.trim()) return showError("empty", "Enter your account key, or read it from your Emergency Kit.");
    form.dataset.busy = "1";
    button.disabled = true;
    progress.hidden = false;
    progress.textContent = "Checking your password and account key (this takes a few seconds)…";
    try {
      const session = await signIn({ email: emailValue, password: passwordF.input.value, accountKeyText: keyF.input.value, api: new Api(), deviceFor });
      passwordF.input.value = "";
      keyF.input.value = "";
      progress.textContent = "Opening your vault…";
      await onSignedIn(session);
    } catch (err) {
      progress.hidden = true;
      if (err instanceof SignInError) showError(err.kind, err.message);
      else showError("other", `Could not sign in: ${err?.message ?? err}`);
      (err?.kind === "key_typo" ? keyF.input : passwordF.input).focus();
    } finally {
      delete form.dataset.busy;
      button.disabled = false;
    }
  });
}
