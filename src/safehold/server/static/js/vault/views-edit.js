// Add and edit an item of any built-in or user-defined type: its template's fields by
// label, custom fields of every kind, tags, favourite, notes; a password generator
// (characters or words, with the entropy) beside each hidden field. Saving checks what
// the CLI checks (custom field names, TOTP secrets, the size limit) with the same words.

import { clear, field, h, uid } from "./dom.js";
import { generatePassphrase, generatePassword, loadWordlist } from "./generator.js";
import { applyEdit, checkCustom, newItem, nowTime, readItem } from "./items.js";
import { CUSTOM_KINDS, TEMPLATES, TEMPLATE_TYPE, customTemplate, templateFor } from "./templates.js";
import { parseTotp } from "./totp.js";

const KIND_NAMES = { text: "Text", hidden: "Hidden", url: "URL", date: "Date", totp: "One-time password (TOTP)", number: "Number", email: "Email", phone: "Phone", multiline: "Several lines" };

function generatorPanel(target, onUse) {
  const id = uid("gen");
  const out = h("output", { class: "generated vault-text", dataset: { testid: "generated" } });
  const bits = h("span", { class: "hint", dataset: { testid: "entropy" } });
  const mode = h("select", { id: `${id}-mode` }, h("option", { value: "chars" }, "Characters"), h("option", { value: "words" }, "Words"));
  const length = h("input", { id: `${id}-len`, type: "number", min: 4, max: 128, value: "20", inputmode: "numeric" });
  const lengthLabel = h("label", { for: `${id}-len` }, "Length");
  const opts = {};
  const box = (key, label, checked = true) => {
    const input = h("input", { type: "checkbox", id: `${id}-${key}`, checked });
    opts[key] = input;
    return h("label", { class: "check", for: `${id}-${key}` }, input, label);
  };
  const charOpts = h("div", { class: "gen-opts" }, box("lower", "a–z"), box("upper", "A–Z"), box("digits", "0–9"), box("symbols", "Symbols"), box("lookalikes", "No look-alikes", false));
  const wordOpts = h("div", { class: "gen-opts", hidden: true }, box("capitalize", "Capitals", false), box("number", "A digit", false));
  const error = h("p", { class: "error", role: "alert", hidden: true });
  let current = "";
  const make = async () => {
    error.hidden = true;
    try {
      let g;
      if (mode.value === "words") {
        g = generatePassphrase(await loadWordlist(), { words: Number(length.value), capitalize: opts.capitalize.checked, addNumber: opts.number.checked });
      } else {
        g = generatePassword({ length: Number(length.value), lower: opts.lower.checked, upper: opts.upper.checked, digits: opts.digits.checked, symbols: opts.symbols.checked, excludeLookalikes: opts.lookalikes.checked });
      }
      current = g.value;
      out.textContent = g.value;
      bits.textContent = ` ≈ ${Math.floor(g.bits)} bits of entropy`;
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  };
  mode.addEventListener("change", () => {
    const words = mode.value === "words";
    charOpts.hidden = words;
    wordOpts.hidden = !words;
    lengthLabel.textContent = words ? "Words" : "Length";
    length.value = words ? "6" : "20";
    make();
  });
  for (const input of [length, ...Object.values(opts)]) input.addEventListener("change", make);
  const panel = h(
    "div",
    { class: "generator", dataset: { testid: "generator" } },
    h("label", { for: `${id}-mode` }, "Generate from"),
    mode,
    lengthLabel,
    length,
    charOpts,
    wordOpts,
    h("p", {}, out, bits),
    error,
    h("button", { type: "button", class: "small secondary", onClick: make }, "Again"),
    h("button", { type: "button", class: "small", onClick: () => current && onUse(current) }, "Use this password"),
  );
  make();
  return panel;
}

function hiddenInput(label, value) {
  const f = field(label, { type: "password", value, autocomplete: "new-password" });
  const show = h("button", {
    type: "button",
    class: "small secondary",
    "aria-pressed": "false",
    "aria-label": `Show ${label}`,
    onClick: () => {
      const showing = f.input.type === "text";
      f.input.type = showing ? "password" : "text";
      show.textContent = showing ? "Show" : "Hide";
      show.setAttribute("aria-pressed", String(!showing));
    },
  }, "Show");
  let panel = null;
  const gen = h("button", {
    type: "button",
    class: "small secondary",
    "aria-expanded": "false",
    "aria-label": `Generate ${label}`,
    onClick: () => {
      if (panel) {
        panel.remove();
        panel = null;
        gen.setAttribute("aria-expanded", "false");
        return;
      }
      panel = generatorPanel(f.input, (value) => {
        f.input.value = value;
        f.input.type = "text";
        show.textContent = "Hide";
      });
      f.wrap.append(panel);
      gen.setAttribute("aria-expanded", "true");
    },
  }, "Generate");
  f.wrap.insertBefore(h("span", { class: "inline-tools" }, show, gen), f.input.nextSibling);
  return f;
}

function inputFor(spec, value) {
  if (spec.kind === "hidden") return hiddenInput(spec.label, value);
  if (spec.kind === "multiline") return field(spec.label, { type: "textarea", value });
  const inputmode = { number: "numeric", email: "email", phone: "tel", url: "url" }[spec.kind];
  const hint = spec.kind === "totp" ? "The otpauth:// address or the base32 secret the site shows." : undefined;
  return field(spec.label, { value, inputmode, hint });
}

function customRow(c, onRemove) {
  const id = uid("c");
  const name = h("input", { id: `${id}-n`, type: "text", value: c.name, autocomplete: "off" });
  const kind = h("select", { id: `${id}-k` }, CUSTOM_KINDS.map((k) => h("option", { value: k, selected: k === c.kind }, KIND_NAMES[k])));
  const value = h("input", { id: `${id}-v`, type: c.kind === "hidden" ? "password" : "text", value: c.value, autocomplete: "off" });
  kind.addEventListener("change", () => (value.type = kind.value === "hidden" ? "password" : "text"));
  const row = h(
    "div",
    { class: "custom-row", dataset: { testid: "custom-field" } },
    h("div", { class: "field" }, h("label", { for: `${id}-n` }, "Field name"), name),
    h("div", { class: "field" }, h("label", { for: `${id}-k` }, "Kind"), kind),
    h("div", { class: "field" }, h("label", { for: `${id}-v` }, "Value"), value),
    h("button", { type: "button", class: "small secondary", "aria-label": "Remove this field", onClick: () => onRemove(row) }, "Remove"),
  );
  row.read = () => ({ name: name.value.trim(), kind: kind.value, value: value.value });
  return row;
}

/**
 * The edit form for `entry` (null: a new item, of `typeKey`). `onDone(id|null)` is called
 * after Save (with the id) or Cancel (null).
 */
export function renderEdit(container, app, entry, { typeKey = "login", onDone }) {
  const existing = entry?.view?.item ?? null;
  const templates = app.vault.templates;
  let template = existing ? entry.view.template : templateFor(typeKey, templates);
  const error = h("p", { class: "error", role: "alert", hidden: true, dataset: { testid: "edit-error" } });
  const form = h("form", { class: "card edit", novalidate: true, dataset: { testid: "edit-form" } });
  const titleF = field("Title", { value: existing?.title ?? "", testid: "title" });
  const fieldsBox = h("div", { class: "template-fields" });
  let inputs = new Map();

  const drawFields = (values) => {
    clear(fieldsBox);
    inputs = new Map();
    for (const spec of template.fields) {
      const f = inputFor(spec, values[spec.key] ?? "");
      inputs.set(spec.key, f.input);
      fieldsBox.append(f.wrap);
    }
  };
  drawFields(existing?.fields ?? {});

  let typeBox = null;
  if (!existing) {
    const options = [...TEMPLATES.map((t) => [t.key, t.label]), ...templates.map((t) => [t.key, `${t.label} (your type)`])];
    const typeF = field("Type", { type: "select", options, testid: "type" });
    typeF.input.value = template.key;
    typeF.input.addEventListener("change", () => {
      const values = Object.fromEntries([...inputs].map(([k, input]) => [k, input.value]));
      template = templateFor(typeF.input.value, templates);
      drawFields(values);
    });
    typeBox = h("div", {}, typeF.wrap, h("button", { type: "button", class: "small secondary", onClick: () => app.newType() }, "New type…"));
  }

  const customBox = h("div", { class: "custom-fields" });
  const addCustom = (c) => customBox.append(customRow(c, (row) => row.remove()));
  for (const c of existing?.custom ?? []) addCustom(c);
  const tagsF = field("Tags", { value: (existing?.tags ?? []).join(", "), hint: "Separated by commas." });
  const favId = uid("fav");
  const fav = h("input", { id: favId, type: "checkbox", checked: existing?.favorite ?? false });
  const notesF = field("Notes", { type: "textarea", value: existing?.notes ?? "" });

  form.append(
    h("h1", {}, existing ? "Edit item" : "New item"),
    error,
    typeBox,
    titleF.wrap,
    fieldsBox,
    h("h2", {}, "More fields"),
    customBox,
    h("button", { type: "button", class: "small secondary", onClick: () => addCustom({ name: "", kind: "text", value: "" }) }, "Add field"),
    tagsF.wrap,
    h("label", { class: "check", for: favId }, fav, "Favourite"),
    notesF.wrap,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, "Save"),
      h("button", { type: "button", class: "secondary", onClick: () => onDone(null) }, "Cancel"),
    ),
  );
  container.append(form);
  titleF.input.focus();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      const fields = Object.fromEntries([...inputs].map(([k, input]) => [k, input.value]));
      for (const spec of template.fields) if (spec.kind === "totp" && fields[spec.key]) parseTotp(fields[spec.key]);
      const custom = [...customBox.children].map((row) => row.read()).filter((c) => c.name || c.value);
      for (const c of custom) if (!c.name) throw new Error("Every added field needs a name.");
      checkCustom(custom, template, parseTotp);
      const changes = {
        title: titleF.input.value,
        fields,
        custom,
        tags: tagsF.input.value.split(","),
        favorite: fav.checked,
        notes: notesF.input.value,
      };
      const now = nowTime();
      const value = applyEdit(existing, changes, template, now);
      if (!existing) value.type = template.key;
      readItem(value); // what is saved must read back
      const id = app.vault.save(existing ? entry.id : null, value);
      onDone(id);
    } catch (err) {
      error.textContent = /[.!?]$/.test(err.message) ? err.message : `${err.message[0].toUpperCase()}${err.message.slice(1)}.`;
      error.hidden = false;
      error.scrollIntoView({ block: "center" });
    }
  });
}

/** A user-defined type: a label and fields (label and kind), saved as a `__template__` item. */
export function renderNewType(container, app, { onDone }) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const labelF = field("Type name");
  const rows = h("div", {});
  const addRow = () => {
    const id = uid("t");
    const name = h("input", { id: `${id}-n`, type: "text", autocomplete: "off" });
    const kind = h("select", { id: `${id}-k` }, Object.entries(KIND_NAMES).map(([k, text]) => h("option", { value: k }, text)));
    const row = h("div", { class: "custom-row" }, h("div", { class: "field" }, h("label", { for: `${id}-n` }, "Field label"), name), h("div", { class: "field" }, h("label", { for: `${id}-k` }, "Kind"), kind));
    row.read = () => [name.value.trim(), kind.value];
    rows.append(row);
  };
  addRow();
  const form = h(
    "form",
    { class: "card edit", novalidate: true },
    h("h1", {}, "New type"),
    h("p", { class: "hint" }, "Your own kind of item, with the fields you choose. It syncs to your other devices like an item."),
    error,
    labelF.wrap,
    rows,
    h("button", { type: "button", class: "small secondary", onClick: addRow }, "Add a field"),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save type"), h("button", { type: "button", class: "secondary", onClick: () => onDone(null) }, "Cancel")),
  );
  container.append(form);
  labelF.input.focus();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    try {
      const label = labelF.input.value.trim();
      if (!label) throw new Error("Give the type a name.");
      const fields = [...rows.children].map((r) => r.read()).filter(([name]) => name);
      const { template, json } = customTemplate(label, fields);
      if (TEMPLATES.some((t) => t.key === template.key) || app.vault.templates.some((t) => t.key === template.key)) {
        throw new Error(`There is already a type called ${label}.`);
      }
      const item = newItem({ key: TEMPLATE_TYPE }, label);
      item.template = json;
      app.vault.save(null, item);
      onDone(template.key);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });
}
