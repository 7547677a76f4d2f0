// Building the page's elements. Every vault value goes in as a text node (or an input's
// value), never as HTML: nothing in this module parses markup. Links to vault URLs are
// made only for http(s) addresses, open in a new tab without an opener or a referrer,
// and bidirectional text is isolated so a title cannot reorder what is around it.

/** `h("p", {class: "x", onClick}, "text", child…)`: an element; strings become text nodes. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value" || key === "checked" || key === "hidden" || key === "disabled" || key === "selected") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Control and spoofing characters (zero-width space, LRM/RLM, bidi embeddings, overrides
// and isolates, BOM), the CLI's set (cli/plain.py): shown as escapes, so "\u202egnp.exe"
// cannot pass for "exe.png". Tab and line breaks stay; joiners (Persian, emoji) stay.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b\u200e\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]/g;

/** `value` with every control and spoofing character shown as an escape (plain.visible). */
export function visible(value) {
  // A Windows line end is a line end, not a stray control character.
  return String(value).replace(/\r\n/g, "\n").replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Text from the vault, shown visibly and isolated from the text around it. */
export function vaultText(value, tag = "bdi") {
  return h(tag, { dir: "auto", class: "vault-text" }, visible(value));
}

/** An http(s) URL for a link, from what a person typed ("example.com" → https://…); null otherwise. */
export function safeHref(value) {
  const text = String(value).trim();
  if (!text || /[\s\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(text)) return null;
  let url;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`);
  } catch {
    return null;
  }
  return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
}

/** A vault URL as a link that opens apart from this page, or as plain text if it is not web. */
export function vaultLink(value, label = value) {
  const href = safeHref(value);
  if (!href) return vaultText(value);
  return h("a", { href, target: "_blank", rel: "noopener noreferrer", referrerpolicy: "no-referrer", class: "vault-text", dir: "auto" }, visible(label));
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let fieldCounter = 0;
/** A unique id for a label's `for`. */
export function uid(prefix = "f") {
  fieldCounter += 1;
  return `${prefix}-${fieldCounter}`;
}

/** A labelled input: {wrap, input}. `type` may be "textarea" or "select" (with `options`). */
export function field(label, { type = "text", value = "", name, options, autocomplete, hint, required, inputmode, testid } = {}) {
  const id = uid();
  let input;
  if (type === "textarea") input = h("textarea", { id, name, rows: 4, dataset: testid ? { testid } : undefined });
  else if (type === "select") {
    input = h("select", { id, name, dataset: testid ? { testid } : undefined }, options.map(([v, text]) => h("option", { value: v }, text)));
  } else {
    input = h("input", { id, name, type, autocomplete: autocomplete ?? "off", spellcheck: "false", required, inputmode, dataset: testid ? { testid } : undefined });
  }
  input.value = value;
  const wrap = h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "hint" }, hint) : null);
  return { wrap, input };
}

/** Copy text to the clipboard; cleared again after 30 s if it is still what was copied. */
export async function copyText(text) {
  await navigator.clipboard.writeText(text);
  setTimeout(async () => {
    try {
      if ((await navigator.clipboard.readText()) === text) await navigator.clipboard.writeText("");
    } catch {
      /* the page no longer has the focus or the permission: nothing to do */
    }
  }, 30_000);
}

/** "2024-05-02 08:30 UTC" from an item time. */
export function showTime(text) {
  if (typeof text !== "string") return "";
  return `${text.slice(0, 16).replace("T", " ")} UTC`;
}
