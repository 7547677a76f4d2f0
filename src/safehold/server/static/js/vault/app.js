// The web vault at /vault: signs in, holds the session and the decrypted vault in memory
// only, and switches between the views. It locks (forgetting every key and plaintext)
// after IDLE_MS without input, when the tab stays hidden HIDDEN_MS, on Lock and on sign-out.
// Other devices' changes are pulled every POLL_MS while it is open.

import { HIDDEN_MS, IDLE_MS, POLL_MS, TEST_MODE } from "./config.js";
import { clear, h } from "./dom.js";
import { toTrash, fromTrash } from "./items.js";
import { forget } from "./session.js";
import { ApiError } from "./api.js";
import { renderPendingReset } from "./pending-reset.js";
import { SessionEnded, Vault, sessionEnded } from "./sync.js";
import { renderDevices, renderPassword, renderReport, renderStatus, renderTrash } from "./views-account.js";
import { renderEdit, renderNewType } from "./views-edit.js";
import { renderItem } from "./views-item.js";
import { ListView } from "./views-list.js";
import { renderSignIn } from "./views-signin.js";

const $ = (id) => document.getElementById(id);

class App {
  constructor() {
    this.root = $("app");
    this.tools = $("bar-tools");
    this.bannerEl = $("banner");
    this.resetEl = $("pending-reset");
    this.session = null;
    this.vault = null;
    this.list = null;
    this.detail = null;
    this.stopDetail = null;
    this.editing = false;
    this.lastInput = Date.now();
    this.hiddenSince = null;
    this.timers = [];
    this.email = "";
    this.locking = false;
    /** Edits sealed at a lock, per account (hex id): {accountIdHex, generation, edits}. */
    this.held = new Map();
    this.sealing = Promise.resolve();
    /**
     * This tab's device per account (hex id): {deviceId, generation, seq, lastSealed}. A
     * sign-in after a lock is the same device again, its v2 sequence numbers going on
     * from where they were (spec §11: never reused). Memory only: a reload is a new device.
     */
    this.tabDevices = new Map();
  }

  start() {
    $("loading")?.remove();
    for (const type of ["keydown", "pointerdown", "touchstart", "wheel"]) {
      document.addEventListener(type, () => (this.lastInput = Date.now()), { passive: true, capture: true });
    }
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) this.hiddenSince = Date.now();
      else {
        this.checkLock();
        this.hiddenSince = null;
      }
    });
    this.showSignIn();
  }

  banner(text, kind = "notice", action = null) {
    clear(this.bannerEl);
    if (!text) {
      this.bannerEl.hidden = true;
      return;
    }
    this.bannerEl.className = `banner ${kind}`;
    this.bannerEl.append(h("span", {}, text), action ? h("button", { type: "button", class: "small secondary", onClick: action.run }, action.label) : "");
    this.bannerEl.hidden = false;
  }

  // --- signed out ----------------------------------------------------------------------

  showSignIn(message = "") {
    clear(this.tools);
    this.root.className = "vault-main signin-main";
    renderSignIn(this.root, {
      email: this.email,
      message,
      onSignedIn: (s) => this.opened(s),
      deviceFor: (accountIdHex) => this.tabDevices.get(accountIdHex)?.deviceId ?? null,
    });
  }

  async opened(session) {
    // A lock a moment ago may still be sealing its edits.
    await this.sealing;
    const held = this.held.get(session.accountIdHex) ?? null;
    this.session = session;
    this.email = session.email;
    this.vault = new Vault(session);
    const device = this.tabDevices.get(session.accountIdHex);
    if (device && device.deviceId === session.deviceId && device.generation === session.generation) {
      this.vault.deviceSeq = device.seq;
      this.vault.lastSealed = device.lastSealed;
    }
    let lost = 0;
    try {
      if (held) lost = await this.vault.restorePending(held);
      await this.vault.sync();
    } catch (err) {
      // The vault did not open: nothing of it stays in memory; held edits stay held.
      this.vault.clear();
      this.rememberDevice(session, this.vault);
      this.vault = null;
      this.session = null;
      session.api.logout().catch(() => {});
      queueMicrotask(() => forget(session));
      throw err;
    }
    if (held) {
      this.held.delete(session.accountIdHex);
      const sent = held.edits.length - lost - this.vault.unsynced();
      const parts = [];
      if (sent > 0) parts.push(`${sent} edit(s) kept from before the lock reached the server.`);
      if (this.vault.unsynced()) parts.push(`${this.vault.unsynced()} still wait to be sent.`);
      if (lost) parts.push(`${lost} edit(s) kept from before the lock could not be opened: the account was reset since, and they were sealed with its old keys.`);
      this.banner(parts.join(" "), lost || this.vault.unsynced() ? "warning" : "notice");
    } else {
      const other = this.heldCount();
      this.banner(other ? `${other} edit(s) of another account, kept from before a lock, wait in this tab for that account to sign in here again.` : "", "warning");
    }
    // Phase timings (numbers only) for bench/web.py, in a test page only.
    if (TEST_MODE) {
      const timings = { ...this.vault.timings };
      globalThis.__safeholdTimings = () => timings;
    }
    this.lastInput = Date.now();
    this.showMain();
    this.timers.push(setInterval(() => this.checkLock(), 1000));
    this.timers.push(setInterval(() => this.syncNow(true), POLL_MS));
    this.vault.onChange(() => this.afterSync());
    // Not awaited: the list is drawn first; the notice follows when the answer comes.
    this.checkAccount();
  }

  // --- a reset the server scheduled ------------------------------------------------------

  /**
   * Ask the server about the account (GET /account, as the CLI does after each sync): a
   * reset it scheduled is shown with how to cancel it. Offline or a failing server: what
   * was heard last stays on screen. A reset already applied ends the session (410).
   */
  async checkAccount() {
    const session = this.session;
    if (!session) return;
    let info;
    try {
      info = await session.api.account();
    } catch (err) {
      const ended = sessionEnded(err);
      if (ended && this.session === session) this.syncFailed(ended);
      return;
    }
    if (this.session !== session) return;
    renderPendingReset(this.resetEl, info?.pending_reset ?? null, () => this.cancelReset(session));
  }

  async cancelReset(session) {
    try {
      await session.api.cancelReset();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return "No reset is scheduled any more.";
      const ended = sessionEnded(err);
      if (ended) {
        this.syncFailed(ended);
        return ended.message;
      }
      throw err;
    }
    return "The reset was cancelled: your password and account key stay as they are. The account's email was told.";
  }

  // --- the main layout -----------------------------------------------------------------

  showMain() {
    this.root.className = "vault-main unlocked";
    clear(this.root);
    const search = h("input", { id: "search", type: "search", placeholder: "Title, username, website, tag…", autocomplete: "off", spellcheck: "false", dataset: { testid: "search" } });
    search.addEventListener("input", () => this.list.setQuery(search.value));
    const filters = h("div", { class: "filters", dataset: { testid: "filters" } });
    const list = h("div", { class: "list" });
    this.detail = h("section", { class: "detail", "aria-live": "polite", tabindex: "-1" });
    this.syncState = h("span", { class: "sync-state hint", role: "status", dataset: { testid: "sync-state" } });
    const listPane = h(
      "section",
      { class: "list-pane", "aria-label": "Items" },
      h("div", { class: "search" }, h("label", { for: "search" }, "Search"), search),
      h("details", { class: "filter-box" }, h("summary", {}, "Filters"), filters),
      list,
    );
    this.layout = h("div", { class: "layout" }, listPane, this.detail);
    this.root.append(this.layout);
    this.list = new ListView(this, { filters, list });
    this.list.refresh();

    let menu = null;
    // A choice in the Account menu closes it.
    const tool = (label, run, extra = {}) =>
      h("button", { type: "button", class: "small", onClick: () => { if (menu) menu.open = false; run(); }, ...extra }, label);
    clear(this.tools).append(
      tool("New item", () => this.newItem(), { dataset: { testid: "new-item" } }),
      tool("Sync", () => this.syncNow(false)),
      this.syncState,
      (menu = h(
        "details",
        { class: "menu" },
        h("summary", {}, "Account"),
        h(
          "div",
          { class: "menu-items" },
          tool("Sync status", () => this.showPane(renderStatus)),
          tool("Security report", () => this.showPane(renderReport)),
          tool("Trash", () => this.showPane((c) => renderTrash(c, this, { onRestore: (id) => this.restoreItem(id) }))),
          tool("Devices", () => this.showPane(renderDevices)),
          tool("Change password", () => this.showPane(renderPassword)),
          tool("Sign out", () => this.signOut()),
        ),
      )),
      tool("Lock", () => this.lockSafely("Locked. Sign in again to open your vault.")),
    );
    this.updateSyncState();
    this.showPane((c) => c.append(h("p", { class: "hint empty-detail" }, "Choose an item, or add one with New item.")), { phoneList: true });
    search.focus();
  }

  clearDetail() {
    this.stopDetail?.();
    this.stopDetail = null;
    this.editing = false;
    clear(this.detail);
  }

  /** Draw `render(container, app)` in the detail pane (on a phone: instead of the list). */
  showPane(render, { phoneList = false } = {}) {
    this.clearDetail();
    this.layout.classList.toggle("showing-detail", !phoneList);
    if (!phoneList) {
      this.detail.append(h("button", { type: "button", class: "small secondary back", onClick: () => this.backToList() }, "← All items"));
    }
    const stop = render(this.detail, this);
    if (typeof stop === "function") this.stopDetail = stop;
    if (!phoneList) this.detail.focus({ preventScroll: true });
  }

  backToList() {
    if (this.list) this.list.selected = null;
    this.showPane((c) => c.append(h("p", { class: "hint empty-detail" }, "Choose an item, or add one with New item.")), { phoneList: true });
    this.list.draw();
  }

  showItem(id) {
    const entry = this.vault.get(id);
    if (!entry?.view?.item) return;
    this.list.selected = id;
    this.list.draw();
    this.showPane((c) => renderItem(c, this, entry));
  }

  newItem(typeKey = "login") {
    this.showPane((c) => {
      this.editing = true;
      renderEdit(c, this, null, { typeKey, onDone: (id) => this.doneEditing(id) });
    });
  }

  newType() {
    this.showPane((c) => {
      this.editing = true;
      renderNewType(c, this, { onDone: (key) => (key ? this.afterSave(null).then(() => this.newItem(key)) : this.newItem()) });
    });
  }

  editItem(id) {
    const entry = this.vault.get(id);
    this.showPane((c) => {
      this.editing = true;
      renderEdit(c, this, entry, { onDone: (saved) => this.doneEditing(saved ?? id, saved === null) });
    });
  }

  async doneEditing(id, cancelled = false) {
    this.editing = false;
    if (id === null) return this.backToList();
    this.list.refresh();
    this.showItem(id);
    if (!cancelled) await this.afterSave(id);
  }

  async afterSave() {
    try {
      await this.vault.sync();
      this.banner("");
    } catch (err) {
      this.syncFailed(err);
    }
  }

  async deleteItem(id) {
    const entry = this.vault.get(id);
    if (!entry?.local) return;
    const before = entry.local;
    this.vault.save(id, toTrash(before));
    this.backToList();
    this.list.refresh();
    this.banner(`Moved “${before.title}” to the trash.`, "notice", {
      label: "Undo",
      run: () => {
        this.banner("");
        this.restoreItem(id);
      },
    });
    await this.afterSave();
  }

  async restoreItem(id) {
    const entry = this.vault.get(id);
    if (!entry?.local) return;
    this.vault.save(id, fromTrash(entry.local));
    this.list.refresh();
    this.showItem(id);
    await this.afterSave();
  }

  // --- sync ----------------------------------------------------------------------------

  async syncNow(quiet) {
    if (!this.vault) return;
    if (!quiet) this.syncState.textContent = "Syncing…";
    try {
      await this.vault.sync();
      if (!quiet) this.banner("");
    } catch (err) {
      this.syncFailed(err);
      return;
    }
    await this.checkAccount();
  }

  syncFailed(err) {
    if (err instanceof SessionEnded) {
      this.lock(err.message, { serverSession: false });
      return;
    }
    this.banner(`Could not sync: ${err.message}. Your edits stay in this page and are sent at the next sync.`, "warning");
  }

  afterSync() {
    if (!this.list) return;
    this.list.refresh();
    this.updateSyncState();
    const c = this.vault.conflicts.splice(0);
    if (c.length) this.banner(`${c.length} conflict cop${c.length === 1 ? "y was" : "ies were"} kept: the same field was changed here and on another device. Both versions are in the list.`, "warning");
    // An item on screen that changed elsewhere is drawn again, unless it is being edited.
    const shown = this.list.selected;
    if (shown && !this.editing && this.vault.get(shown)?.view?.item) {
      this.stopDetail?.();
      const back = this.detail.querySelector(".back");
      clear(this.detail);
      if (back) this.detail.append(back);
      this.stopDetail = renderItem(this.detail, this, this.vault.get(shown));
    }
  }

  updateSyncState() {
    const v = this.vault;
    if (!v || !this.syncState) return;
    const parts = [];
    parts.push(v.lastSync ? `Synced ${v.lastSync.toTimeString().slice(0, 5)}` : "Not synced");
    if (v.unsynced()) parts.push(`${v.unsynced()} unsynced`);
    const copies = v.conflictCopies().length;
    if (copies) parts.push(`${copies} conflict cop${copies === 1 ? "y" : "ies"}`);
    if (v.quarantine.size) parts.push(`${v.quarantine.size} quarantined`);
    if (v.problems.length) parts.push(`${v.problems.length} refused`);
    this.syncState.textContent = parts.join(" · ");
  }

  // --- locking -------------------------------------------------------------------------

  checkLock() {
    if (!this.session || this.locking) return;
    const now = Date.now();
    if (now - this.lastInput >= IDLE_MS) this.lockSafely("Locked after a while without use. Sign in again to open your vault.");
    else if (this.hiddenSince && now - this.hiddenSince >= HIDDEN_MS) this.lockSafely("Locked while the page was hidden. Sign in again to open your vault.");
  }

  /** Lock, after giving edits not yet on the server a few seconds to get there. */
  async lockSafely(message) {
    if (!this.session || this.locking) return;
    this.locking = true;
    try {
      if (this.vault?.unsynced()) {
        const give = new Promise((resolve) => setTimeout(resolve, 5000));
        await Promise.race([this.vault.sync().catch(() => {}), give]);
      }
    } finally {
      this.locking = false;
      this.lock(message);
    }
  }

  /**
   * Forget the session, the keys and every plaintext; end the server session too.
   *
   * Edits that have not reached the server are not forgotten with them: they are sealed
   * first (Vault.sealPending: ciphertext under the vault key, which is then forgotten)
   * and kept in this tab's memory, to be merged and sent after the next sign-in to the
   * same account here. A warning says so; closing or reloading the tab would lose them, so
   * the browser asks before it does (beforeunload).
   */
  lock(message, { serverSession = true } = {}) {
    if (!this.session) return;
    const session = this.session;
    const vault = this.vault;
    this.timers.forEach(clearInterval);
    this.timers = [];
    this.clearDetail();
    this.vault = null;
    renderPendingReset(this.resetEl, null);
    this.list = null;
    this.session = null;
    if (serverSession) session.api.logout({ keepalive: true }).catch(() => {});
    this.showSignIn(message);
    const pending = vault?.unsynced() ? vault.sealPending() : Promise.resolve(null);
    this.sealing = pending
      .then(
        (held) => {
          if (held?.edits.length) this.hold(held);
        },
        (err) => this.banner(`Edits not yet on the server could not be kept: ${err.message}.`, "warning"),
      )
      .finally(() => {
        vault?.clear();
        if (vault) this.rememberDevice(session, vault);
        // The token goes after the logout request took it; the keys after the sealing.
        forget(session);
        this.showHeld();
      });
  }

  /** This tab's device for the account, for the next sign-in here (`vault` is closed). */
  rememberDevice(session, vault) {
    const { deviceId, generation, accountIdHex } = session;
    this.tabDevices.set(accountIdHex, { deviceId, generation, seq: vault.deviceSeq, lastSealed: vault.lastSealed });
  }

  /** Keep `held` (sealed edits of one account); a later hold of the same account replaces
   * the earlier one's edits item by item (it was made after they were restored). */
  hold(held) {
    const old = this.held.get(held.accountIdHex);
    if (old && old.generation === held.generation) {
      const ids = new Set(held.edits.map((e) => e.id));
      held.edits.unshift(...old.edits.filter((e) => !ids.has(e.id)));
    }
    this.held.set(held.accountIdHex, held);
  }

  heldCount() {
    let n = 0;
    for (const held of this.held.values()) n += held.edits.length;
    return n;
  }

  showHeld() {
    const n = this.heldCount();
    if (!n || this.session) return;
    this.banner(
      `${n} edit(s) had not reached the server when the vault locked. They are kept in this tab, encrypted, and sent when you sign in again here. Closing or reloading this tab loses them.`,
      "warning",
    );
  }

  /** Whether leaving the page now would lose edits (the browser then asks first). */
  wouldLoseEdits() {
    return this.heldCount() > 0 || (this.vault?.unsynced() ?? 0) > 0;
  }

  async signOut() {
    await this.lockSafely("Signed out.");
    this.email = "";
    this.showSignIn("Signed out.");
  }
}

const app = new App();
app.start();
globalThis.addEventListener("pagehide", () => app.session && app.lock(""));
globalThis.addEventListener("beforeunload", (event) => {
  if (app.wouldLoseEdits()) event.preventDefault();
});
