// One item: its fields in template order with their labels, hidden values masked with
// reveal and copy, live TOTP codes with the seconds left, links that open apart from this
// page, notes, tags, the password history (masked), times, and what a conflict copy is.

import { copyText, h, showTime, uid, vaultLink, vaultText, visible } from "./dom.js";
import { conflictNote, displayFields, isConflictCopy } from "./items.js";
import { totpCode } from "./totp.js";

const MASK = "••••••••";

function masked(value, label) {
  const out = h("span", { class: "secret vault-text", dataset: { testid: "masked" } }, MASK);
  let shown = false;
  const reveal = h(
    "button",
    {
      type: "button",
      class: "small secondary",
      "aria-pressed": "false",
      "aria-label": `Reveal ${label}`,
      onClick: () => {
        shown = !shown;
        out.textContent = shown ? visible(value) : MASK;
        reveal.textContent = shown ? "Hide" : "Reveal";
        reveal.setAttribute("aria-pressed", String(shown));
        reveal.setAttribute("aria-label", `${shown ? "Hide" : "Reveal"} ${label}`);
      },
    },
    "Reveal",
  );
  return [out, reveal];
}

function copyButton(value, label, status) {
  return h(
    "button",
    {
      type: "button",
      class: "small secondary",
      "aria-label": `Copy ${label}`,
      onClick: async () => {
        try {
          await copyText(value);
          status.textContent = `${label} copied; the clipboard is cleared in 30 seconds.`;
        } catch {
          status.textContent = "This browser did not allow copying.";
        }
      },
    },
    "Copy",
  );
}

/** The item view; returns a `stop()` that ends its timers. */
export function renderItem(container, app, entry) {
  const { item, template } = entry.view;
  const timers = [];
  const status = h("p", { class: "hint", role: "status", "aria-live": "polite" });
  const rows = [];
  for (const f of displayFields(item, template)) {
    const labelId = uid("l");
    const dt = h("dt", { id: labelId }, f.label);
    let dd;
    if (f.kind === "hidden") {
      dd = h("dd", { "aria-labelledby": labelId }, ...masked(f.value, f.label), copyButton(f.value, f.label, status));
    } else if (f.kind === "totp") {
      const code = h("span", { class: "totp", dataset: { testid: "totp" } }, "……");
      const left = h("span", { class: "hint" });
      let latest = "";
      const tick = async () => {
        try {
          const now = await totpCode(f.value);
          latest = now.code;
          code.textContent = `${now.code.slice(0, Math.ceil(now.code.length / 2))} ${now.code.slice(Math.ceil(now.code.length / 2))}`;
          left.textContent = ` ${now.secondsLeft} s left`;
        } catch (err) {
          code.textContent = "";
          left.textContent = `cannot make a code: ${err.message}`;
        }
      };
      tick();
      timers.push(setInterval(tick, 1000));
      dd = h(
        "dd",
        { "aria-labelledby": labelId },
        code,
        left,
        h("button", { type: "button", class: "small secondary", "aria-label": `Copy ${f.label} code`, onClick: async () => {
          try {
            await copyText(latest);
            status.textContent = "Code copied.";
          } catch {
            status.textContent = "This browser did not allow copying.";
          }
        } }, "Copy"),
      );
    } else if (f.kind === "url") {
      dd = h("dd", { "aria-labelledby": labelId }, vaultLink(f.value), copyButton(f.value, f.label, status));
    } else if (f.kind === "multiline") {
      dd = h("dd", { "aria-labelledby": labelId }, vaultText(f.value, "div"));
    } else {
      dd = h("dd", { "aria-labelledby": labelId }, vaultText(f.value), copyButton(f.value, f.label, status));
    }
    rows.push(h("div", { class: "kv", dataset: { testid: "field", label: f.label } }, dt, dd));
  }

  const history = item.history.length
    ? h(
        "details",
        { class: "history", dataset: { testid: "history" } },
        h("summary", {}, `Password history (${item.history.length})`),
        h(
          "ul",
          {},
          [...item.history].reverse().map((entry) => {
            const spec = template.fields.find((s) => s.key === entry.field);
            const label = spec?.label ?? entry.field;
            return h("li", {}, h("span", { class: "hint" }, `${label}, replaced ${showTime(entry.changed)}: `), ...masked(entry.value, `old ${label}`));
          }),
        ),
      )
    : null;

  const headingId = uid("h");
  container.append(
    h(
      "article",
      { class: "card item", "aria-labelledby": headingId, dataset: { testid: "item-view", id: entry.id } },
      h("p", { class: "hint" }, h("span", { class: "badge" }, visible(template.label)), item.favorite ? " ★ Favourite" : ""),
      h("h1", { id: headingId, dataset: { testid: "item-title" } }, vaultText(item.title || "(no title)")),
      isConflictCopy(item) ? h("p", { class: "warning", dataset: { testid: "conflict-note" } }, visible(conflictNote(item))) : null,
      template.unknown ? h("p", { class: "hint" }, `Its type "${visible(item.type)}" is not known here yet: its fields are shown as stored.`) : null,
      entry.dirty ? h("p", { class: "warning" }, "This version is not on the server yet; it is sent at the next sync.") : null,
      rows.length ? h("dl", { class: "fields" }, rows) : h("p", { class: "hint" }, "No fields filled in."),
      item.notes ? h("section", { class: "notes" }, h("h2", {}, "Notes"), vaultText(item.notes, "div")) : null,
      item.tags.length ? h("p", { class: "tags" }, h("span", { class: "hint" }, "Tags: "), item.tags.map((t) => h("span", { class: "tag vault-text", dir: "auto" }, visible(t)))) : null,
      history,
      h("p", { class: "hint times" }, `Created ${showTime(item.created)} · modified ${showTime(item.modified)}`),
      status,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onClick: () => app.editItem(entry.id) }, "Edit"),
        h("button", { type: "button", class: "danger", onClick: () => app.deleteItem(entry.id) }, "Delete"),
      ),
    ),
  );
  return () => timers.forEach(clearInterval);
}
