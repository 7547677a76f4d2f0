// A reset of the account that the server has scheduled but not applied yet
// (SAFEHOLD_RESET_DELAY_HOURS, docs/reset.md; client/pending_reset.py for the CLI). The
// server tells every signed-in device in `GET /account`'s `pending_reset`; the page shows
// it, as `safehold status` does, with when it was requested, from where, when it takes
// effect, and a button that cancels it (`DELETE /account/reset`, what
// `safehold reset --cancel` calls). The notice is the server's word and only informs:
// nothing in the page changes because of it.

import { h, visible } from "./dom.js";

/** "2026-12-05 23:50 UTC", the CLI's format (account_cmds.warn_pending_reset). */
export function utcText(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return visible(String(iso));
  return `${when.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "in 23 hours", "in 40 minutes", "any moment now". */
export function untilText(iso, now = new Date()) {
  const minutes = Math.round((new Date(iso) - now) / 60_000);
  if (!(minutes > 0)) return "any moment now";
  if (minutes < 120) return `in ${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} hours`;
  return `in ${Math.round(hours / 24)} days`;
}

/** The notice's sentences for `pending` ({requested_at, requested_from, effective_at}): the
 * server's words, so control and bidi characters are shown as escapes (cli/plain.py). */
export function describePending(pending, now = new Date()) {
  return (
    `A reset of this account was requested on ${utcText(pending.requested_at)} from ` +
    `${visible(String(pending.requested_from))}. It takes effect on ${utcText(pending.effective_at)} ` +
    `(${untilText(pending.effective_at, now)}): a new password and account key, every device ` +
    "signed out, the items taken out of the account. If this was not you, cancel it: anyone " +
    "who can read your email can ask for a reset."
  );
}

/**
 * Draw the notice in `el` (hidden when `pending` is null). `cancel()` is called by the
 * button and returns a promise; the notice then says what came of it.
 */
export function renderPendingReset(el, pending, cancel) {
  el.replaceChildren();
  if (!pending) {
    el.hidden = true;
    return;
  }
  el.className = "banner warning pending-reset";
  const status = h("span", { class: "hint", role: "status" });
  const button = h(
    "button",
    {
      type: "button",
      class: "small",
      onClick: async () => {
        button.disabled = true;
        status.textContent = "Cancelling…";
        try {
          const message = await cancel();
          el.className = "banner notice pending-reset";
          el.replaceChildren(h("span", { dataset: { testid: "pending-reset-text" } }, message));
        } catch (err) {
          status.textContent = `Could not cancel: ${err.message}. Try again.`;
          button.disabled = false;
        }
      },
    },
    "Cancel the reset",
  );
  el.append(h("strong", {}, "Reset scheduled. "), h("span", { dataset: { testid: "pending-reset-text" } }, describePending(pending)), button, status);
  el.hidden = false;
}
