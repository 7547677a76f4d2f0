// The account's views: the security report (weak, reused, old: items/report.py's rules),
// the devices with revoke, the password change (the reset page's rule and meter), and the
// sync status (what `safehold status` reports: conflict copies, quarantine, refusals).

import { h, showTime, vaultText } from "./dom.js";
import { lastChanged, secretFields, displayFields } from "./items.js";
import { assessPassword, loadZxcvbn } from "../strength.js";
import { changePassword, SignInError } from "./session.js";

/** zxcvbn scores below this are weak in the report (report.WEAK_BELOW). */
export const WEAK_BELOW = 3;
export const OLD_AFTER_DAYS = 365;
const ZXCVBN_MAX = 72;

/** The security report of the vault's items, never carrying a password's value. */
export function securityReport(entries, zxcvbn, now = new Date(), oldAfterDays = OLD_AFTER_DAYS) {
  const pairs = entries.filter((e) => e.view?.item).map((e) => [e.id, e.view]);
  pairs.sort((a, b) => a[1].item.title.toLowerCase().localeCompare(b[1].item.title.toLowerCase()) || (a[0] < b[0] ? -1 : 1));
  let checked = 0;
  const weak = [];
  const old = [];
  const byValue = new Map();
  for (const [id, { item, template }] of pairs) {
    const context = [item.title, ...displayFields(item, template).filter((f) => f.kind === "text" || f.kind === "email").map((f) => f.value)];
    for (const secret of secretFields(item, template)) {
      if (!secret.isPassword) continue;
      checked += 1;
      const where = { id, title: item.title, field: secret.key, label: secret.label };
      if (!byValue.has(secret.value)) byValue.set(secret.value, []);
      byValue.get(secret.value).push(where);
      const result = zxcvbn([...secret.value].slice(0, ZXCVBN_MAX).join(""), context.filter(Boolean).map((u) => u.slice(0, ZXCVBN_MAX)));
      if (result.score < WEAK_BELOW) weak.push({ where, score: result.score, warning: result.feedback?.warning ?? "" });
      const changed = lastChanged(item, secret.key);
      const days = Math.floor((now - new Date(changed)) / 86_400_000);
      if (now - new Date(changed) > oldAfterDays * 86_400_000) old.push({ where, changed, days });
    }
  }
  const reused = [...byValue.values()].filter((places) => places.length > 1);
  reused.sort((a, b) => b.length - a.length || a[0].title.toLowerCase().localeCompare(b[0].title.toLowerCase()));
  return { checked, weak, reused, old };
}

export async function renderReport(container, app) {
  const status = h("p", { class: "hint", role: "status" }, "Checking your passwords…");
  const card = h("section", { class: "card", dataset: { testid: "report" } }, h("h1", {}, "Security report"), status);
  container.append(card);
  let zxcvbn;
  try {
    zxcvbn = await loadZxcvbn();
  } catch {
    status.textContent = "The password strength check could not be loaded; reload the page.";
    return;
  }
  const report = securityReport(app.vault.visible(), zxcvbn);
  const link = (w) => h("button", { type: "button", class: "linkish", onClick: () => app.showItem(w.id) }, vaultText(w.title || "(no title)"), ` (${w.label})`);
  status.textContent = `${report.checked} password${report.checked === 1 ? "" : "s"} checked.`;
  const section = (title, testid, rows, empty) =>
    h("section", { dataset: { testid } }, h("h2", {}, `${title} (${rows.length})`), rows.length ? h("ul", {}, rows) : h("p", { class: "hint" }, empty));
  card.append(
    section("Weak", "report-weak", report.weak.map((w) => h("li", {}, link(w.where), w.warning ? h("span", { class: "hint" }, ` — ${w.warning}`) : "")), "No weak password."),
    section("Reused", "report-reused", report.reused.map((places) => h("li", {}, `The same password in ${places.length} places: `, places.map((p, i) => [i ? ", " : "", link(p)]))), "No password is used twice."),
    section("Old", "report-old", report.old.map((o) => h("li", {}, link(o.where), h("span", { class: "hint" }, ` — unchanged since ${showTime(o.changed)} (${o.days} days)`))), `No password older than ${OLD_AFTER_DAYS} days.`),
  );
}

export async function renderDevices(container, app) {
  const status = h("p", { class: "hint", role: "status", "aria-live": "polite" });
  const card = h("section", { class: "card", dataset: { testid: "devices" } }, h("h1", {}, "Devices"), status);
  container.append(card);
  let answer;
  try {
    answer = await app.session.api.devices();
  } catch (err) {
    status.textContent = `Could not list the devices: ${err.message}.`;
    return;
  }
  const rows = answer.devices.map((d) => {
    const revoke = d.current
      ? h("span", { class: "badge" }, "This browser")
      : h(
          "button",
          {
            type: "button",
            class: "small danger",
            "aria-label": `Revoke ${d.name}`,
            onClick: async () => {
              if (revoke.dataset.confirm !== "1") {
                revoke.dataset.confirm = "1";
                revoke.textContent = "Confirm revoke";
                return;
              }
              try {
                await app.session.api.revokeDevice(d.device_id);
                status.textContent = `${d.name} was signed out; it must sign in again to sync.`;
                row.remove();
              } catch (err) {
                status.textContent = `Could not revoke ${d.name}: ${err.message}.`;
              }
            },
          },
          "Revoke",
        );
    const row = h(
      "tr",
      { dataset: { testid: "device" } },
      h("td", {}, vaultText(d.name)),
      h("td", {}, showTime(d.created_at)),
      h("td", {}, d.last_seen_at ? showTime(d.last_seen_at) : "never"),
      h("td", {}, d.signed_out ? `signed out (${d.signed_out_reason ?? ""})` : "signed in"),
      h("td", {}, revoke),
    );
    return row;
  });
  card.append(
    h(
      "div",
      { class: "table-wrap" },
      h("table", { class: "devices" }, h("thead", {}, h("tr", {}, ["Name", "Added", "Last seen", "State", ""].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)),
    ),
  );
}

export function renderPassword(container, app) {
  const mk = (label, ac) => {
    const id = `pw-${label.replace(/\W+/g, "-").toLowerCase()}`;
    const input = h("input", { id, type: "password", autocomplete: ac });
    return [h("label", { for: id }, label), input];
  };
  const [curL, current] = mk("Current password", "current-password");
  const [newL, next] = mk("New password", "new-password");
  const [conL, confirm] = mk("Confirm new password", "new-password");
  const bar = h("div", { class: "meter-bar", dataset: { score: "0" } });
  const meterText = h("p", { class: "hint", "aria-live": "polite", dataset: { testid: "strength" } }, "Use a long password: a few unrelated words work well.");
  const error = h("p", { class: "error", role: "alert", hidden: true, dataset: { testid: "password-error" } });
  const done = h("p", { class: "notice", role: "status", hidden: true, dataset: { testid: "password-done" } });
  const button = h("button", { type: "submit" }, "Change password");
  const form = h(
    "form",
    { class: "card", novalidate: true },
    h("h1", {}, "Change password"),
    h("p", { class: "hint" }, "Your account key stays the same; other devices are signed out and sign in with the new password."),
    error,
    curL,
    current,
    newL,
    next,
    h("div", { class: "meter", "aria-hidden": "true" }, bar),
    meterText,
    conL,
    confirm,
    button,
    done,
  );
  container.append(form);
  current.focus();
  let zxcvbn = null;
  const ready = loadZxcvbn().then((fn) => (zxcvbn = fn));
  const assess = () => {
    if (!zxcvbn) return null;
    const r = assessPassword(zxcvbn, next.value, app.session.email);
    bar.dataset.score = String(r.score);
    meterText.textContent = r.empty ? "Use a long password: a few unrelated words work well." : `${r.label}${r.warning ? `: ${r.warning}` : ""}`;
    return r;
  };
  next.addEventListener("input", assess);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    done.hidden = true;
    const fail = (text) => {
      error.textContent = text;
      error.hidden = false;
    };
    if (!current.value) return fail("Enter your current password.");
    try {
      await ready;
    } catch {
      return fail("The password strength check could not be loaded. Reload the page and try again; nothing was changed.");
    }
    const r = assess();
    if (!r || r.empty) return fail("Enter a new account password.");
    if (!r.acceptable) return fail("This password is too easy to guess. Choose a longer one: a few unrelated words work well.");
    if (next.value !== confirm.value) return fail("The two passwords do not match. Type the same password in both fields.");
    button.disabled = true;
    done.hidden = false;
    done.textContent = "Making the new keys (a few seconds)…";
    try {
      await changePassword(app.session, current.value, next.value);
      current.value = next.value = confirm.value = "";
      done.textContent = "The password was changed. Other devices must sign in again with the new one.";
    } catch (err) {
      done.hidden = true;
      fail(err instanceof SignInError && err.kind === "auth_failed" ? "The current password is not right; nothing was changed." : `The password was not changed: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
}

export function renderStatus(container, app) {
  const v = app.vault;
  const copies = v.conflictCopies();
  const problems = v.problems;
  container.append(
    h(
      "section",
      { class: "card", dataset: { testid: "status" } },
      h("h1", {}, "Sync status"),
      h("p", {}, v.lastSync ? `Last synced ${v.lastSync.toISOString().slice(0, 19).replace("T", " ")} UTC.` : "Not synced yet."),
      h("p", {}, `${v.unsynced()} edit${v.unsynced() === 1 ? "" : "s"} waiting to be sent; items written as protocol ${v.writeV2 ? "v2 (sealed log)" : "v1"}.`),
      h("h2", {}, `Conflict copies (${copies.length})`),
      copies.length
        ? h("ul", {}, copies.map((e) => h("li", {}, h("button", { type: "button", class: "linkish", onClick: () => app.showItem(e.id) }, vaultText(e.view.item.title)))))
        : h("p", { class: "hint" }, "None."),
      h("h2", {}, `Quarantined records (${v.quarantine.size})`),
      v.quarantine.size
        ? h("ul", {}, [...v.quarantine].map(([id, q]) => h("li", {}, `item ${id}: revision ${q.revision} did not open (damaged, or sealed with other keys); kept aside since ${q.since.slice(0, 19)}, retried at every sync`)))
        : h("p", { class: "hint" }, "None."),
      h("h2", {}, `Refused by the integrity checks (${problems.length})`),
      problems.length ? h("ul", {}, problems.map((p) => h("li", { dataset: { kind: p.kind } }, `${p.kind.replace("_", " ")} — item ${p.item}: ${p.detail}`))) : h("p", { class: "hint" }, "None."),
      v.rejected.length ? h("p", { class: "warning" }, `The server refused ${v.rejected.length} item(s) as too large.`) : null,
    ),
  );
}

/** The trash: items deleted here or on another device, each with Restore. */
export function renderTrash(container, app, { onRestore }) {
  const entries = app.vault.trashed();
  const status = h("p", { class: "hint", role: "status", "aria-live": "polite" });
  container.append(
    h(
      "section",
      { class: "card", dataset: { testid: "trash" } },
      h("h1", {}, "Trash"),
      h("p", { class: "hint" }, "Deleted items stay here for 30 days (the CLI empties the trash after that); restore one to bring it back on every device."),
      status,
      entries.length
        ? h(
            "ul",
            {},
            entries.map((e) =>
              h(
                "li",
                { dataset: { testid: "trashed" } },
                vaultText(e.view.item.title || "(no title)"),
                h("span", { class: "hint" }, ` — deleted ${showTime(e.view.item.trashed_at)} `),
                h("button", { type: "button", class: "small secondary", "aria-label": `Restore ${e.view.item.title}`, onClick: () => onRestore(e.id) }, "Restore"),
              ),
            ),
          )
        : h("p", { class: "hint" }, "The trash is empty."),
    ),
  );
}
