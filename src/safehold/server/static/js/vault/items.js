// The item model of spec/items.md in the browser: reading (strict about types, keeping what
// it does not know), the fields an item shows, what a search may look at, conflict marks,
// the trash mark, and edits that keep replaced hidden values in the history.
//
// It passes spec/vectors/items-v1.json (tests/js/vault-items.test.mjs) like
// src/safehold/client/items/model.py, whose error messages it repeats word for word.
// Items stay plain JSON objects here: unknown keys travel untouched, and
// canonicalJson(item) is what gets sealed (spec/items.md §8).

import { canonicalJson } from "../protocol.js";
import { CUSTOM_KINDS, TEMPLATE_TYPE, looksLikePassword, normalizeName, templateFor, templateFromJson } from "./templates.js";

export const ITEM_VERSION = 1;
export const TRASHED_AT = "trashed_at";
export const CONFLICT_KEYS = Object.freeze(["conflict_of", "conflict_from", "conflict_at"]);
/** The server's limit on one envelope in base64url characters (spec/api.md), as the CLI. */
export const MAX_ENVELOPE_CHARS = 1024 * 1024;
/** Kinds whose values are secret: masked, never searched (items/search.py). */
export const SECRET_KINDS = Object.freeze(["hidden", "totp"]);
const VISIBLE_CUSTOM_KINDS = ["text", "url", "date"];
const KNOWN_KEYS = new Set(["v", "type", "title", "fields", "custom", "tags", "favorite", "notes", "created", "modified", "history"]);

export class ItemError extends Error {
  constructor(message) {
    super(message);
    this.name = this.constructor.name;
  }
}
/** An item that cannot be read (spec/items.md §1: refuse, naming the key). */
export class InvalidItem extends ItemError {}
/** An edit that cannot be saved (a custom field's name, a TOTP secret, the size). */
export class InvalidField extends ItemError {}
export class ItemTooLarge extends ItemError {}

// Python's repr() of the values the messages quote: 'text' for strings, 2 for numbers.
function pyRepr(value) {
  if (typeof value === "string") return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (value === undefined || value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  return JSON.stringify(value);
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
// A lone surrogate has no UTF-8 form: the sealing would fail later, so refuse it here.
const encodable = (s) => typeof s === "string" && s.isWellFormed();

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?$/;

/** A §5 time read and written back in UTC with `Z` (microseconds only when present). */
export function normalizeTime(text) {
  const m = TIME.exec(text);
  if (!m) throw new InvalidItem(`${pyRepr(text)} is not an ISO 8601 time`);
  if (!m[8]) throw new InvalidItem(`the time ${pyRepr(text)} has no timezone (times are stored in UTC)`);
  const [, y, mo, d, h, mi, s, frac = "", zone] = m;
  let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (Number.isNaN(ms)) throw new InvalidItem(`${pyRepr(text)} is not an ISO 8601 time`);
  if (zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  if (+y < 1900 && ms < Date.UTC(1, 0, 1)) throw new InvalidItem(`${pyRepr(text)} is not an ISO 8601 time`);
  const micro = frac.padEnd(6, "0");
  const base = new Date(ms).toISOString().slice(0, 19);
  return micro === "000000" ? `${base}Z` : `${base}.${micro}Z`;
}

/** Now as an item time (spec/items.md §5). */
export function nowTime(date = new Date()) {
  return date.toISOString().slice(0, 19) + "Z";
}

function reqStr(data, key) {
  const value = data[key];
  if (!encodable(value)) throw new InvalidItem(`an item's ${pyRepr(key)} must be text`);
  return value;
}

const JSON_NAMES = { object: "object", list: "list", boolean: "boolean", string: "string" };

function opt(data, key, kind, fallback) {
  const value = key in data ? data[key] : fallback;
  const ok =
    kind === "object" ? isObject(value) : kind === "list" ? Array.isArray(value) : typeof value === kind;
  if (!ok) throw new InvalidItem(`an item's ${pyRepr(key)} must be a ${JSON_NAMES[kind]}`);
  if (kind === "string" && !encodable(value)) {
    throw new InvalidItem(`an item's ${pyRepr(key)} contains characters that are not valid Unicode text`);
  }
  return value;
}

function timeOf(value, what) {
  if (typeof value !== "string") throw new InvalidItem(`an item's ${pyRepr(what)} must be an ISO 8601 time`);
  return normalizeTime(value);
}

function customFromJson(raw, index) {
  if (!isObject(raw)) throw new InvalidItem(`custom field ${index} must be an object`);
  const { name, kind, value } = raw;
  if (!encodable(name) || !name) throw new InvalidItem(`custom field ${index} needs a 'name'`);
  if (!CUSTOM_KINDS.includes(kind)) {
    throw new InvalidItem(`custom field ${pyRepr(name)} has kind ${pyRepr(kind)}; the kinds are ${CUSTOM_KINDS.join(", ")}`);
  }
  if (!encodable(value)) throw new InvalidItem(`custom field ${pyRepr(name)} must have a text value`);
  return { name, kind, value };
}

function historyFromJson(raw, index) {
  if (!isObject(raw)) throw new InvalidItem(`history entry ${index} must be an object`);
  if (!encodable(raw.field)) throw new InvalidItem(`history entry ${index} needs a 'field'`);
  if (!encodable(raw.value)) throw new InvalidItem(`history entry ${index} must have a text value`);
  return { field: raw.field, value: raw.value, changed: timeOf(raw.changed, "changed") };
}

/**
 * Validate and read an item (model.Item.from_json then to_json): a new object with every
 * key of §1 present, times in UTC with `Z`, unknown keys kept as they were.
 */
export function readItem(data) {
  if (!isObject(data)) throw new InvalidItem("an item must be a JSON object");
  const version = data.v;
  if (!Number.isInteger(version) || version !== ITEM_VERSION) {
    throw new InvalidItem(`item version ${pyRepr(version)} is not supported (this Safehold reads version 1)`);
  }
  const type = reqStr(data, "type");
  if (!type) throw new InvalidItem("an item's 'type' cannot be empty");
  const fields = opt(data, "fields", "object", {});
  for (const [key, value] of Object.entries(fields)) {
    if (!encodable(key)) throw new InvalidItem("an item's field names must be text");
    if (!encodable(value)) throw new InvalidItem(`field ${pyRepr(key)} must have a text value`);
  }
  const out = {};
  for (const [k, v] of Object.entries(data)) if (!KNOWN_KEYS.has(k)) out[k] = v;
  const title = reqStr(data, "title");
  const created = timeOf(data.created, "created");
  const modified = timeOf(data.modified, "modified");
  const custom = opt(data, "custom", "list", []).map(customFromJson);
  const tags = opt(data, "tags", "list", []).map((raw) => {
    if (!encodable(raw)) throw new InvalidItem("every tag must be text");
    return raw;
  });
  const favorite = opt(data, "favorite", "boolean", false);
  const notes = opt(data, "notes", "string", "");
  const history = opt(data, "history", "list", []).map(historyFromJson);
  Object.assign(out, { v: ITEM_VERSION, type, title, fields: { ...fields }, custom, tags, favorite, notes, created, modified, history });
  return out;
}

/** The bytes sealed for an item (spec/items.md §8). */
export function itemBytes(item) {
  return canonicalJson(item);
}

// --- what an item shows ------------------------------------------------------------------

/** User-defined types from the vault's `__template__` items (ignoring malformed ones). */
export function userTemplates(items) {
  const out = [];
  for (const item of items) {
    if (item.type !== TEMPLATE_TYPE || isTrashed(item)) continue;
    const tpl = templateFromJson(item.template);
    if (tpl) out.push(tpl);
  }
  return out;
}

export function itemTemplate(item, templates = []) {
  return templateFor(item.type, templates, item.fields);
}

function strayKeys(item, template) {
  const known = new Set(template.fields.map((f) => f.key));
  return Object.keys(item.fields).filter((k) => !known.has(k));
}

/**
 * The fields that have a value, as model.display_fields: template order, then stored keys
 * the template lacks, then custom fields. Each is {key, label, value, kind, custom}.
 */
export function displayFields(item, template) {
  const out = [];
  for (const spec of template.fields) {
    const value = item.fields[spec.key];
    if (value) out.push({ key: spec.key, label: spec.label, value, kind: spec.kind, custom: false });
  }
  for (const key of strayKeys(item, template)) {
    const value = item.fields[key];
    if (value) out.push({ key, label: key, value, kind: looksLikePassword(key) ? "hidden" : "text", custom: false });
  }
  for (const c of item.custom) {
    if (c.value) out.push({ key: c.name, label: c.name, value: c.value, kind: c.kind, custom: true });
  }
  return out;
}

/** Hidden fields with a value; `isPassword` marks those the security report judges. */
export function secretFields(item, template) {
  const out = [];
  for (const spec of template.fields) {
    const value = item.fields[spec.key];
    if (spec.kind === "hidden" && value) out.push({ key: spec.key, label: spec.label, value, isPassword: looksLikePassword(spec.key) });
  }
  for (const key of strayKeys(item, template)) {
    const value = item.fields[key];
    if (value && looksLikePassword(key)) out.push({ key, label: key, value, isPassword: true });
  }
  for (const c of item.custom) {
    if (c.kind === "hidden" && c.value) out.push({ key: c.name, label: c.name, value: c.value, isPassword: looksLikePassword(c.name) });
  }
  return out;
}

/** When a field's current value was set: its latest history entry, else creation. */
export function lastChanged(item, key) {
  let latest = item.created;
  for (const h of item.history) if (h.field === key && h.changed > latest) latest = h.changed;
  return latest;
}

/** A list's second line: the username, a card's last four digits, … never a secret. */
export function subtitle(item, template) {
  const f = item.fields;
  if (item.type === "credit_card" && f.card_number) return `•••• ${f.card_number.replace(/\s+/g, "").slice(-4)}`;
  for (const key of ["username", "email", "account_number", "member_id", "number", "network_name", "hostname", "name", "full_name", "policy_number"]) {
    const spec = template.fields.find((s) => s.key === key);
    if (f[key] && (!spec || !SECRET_KINDS.includes(spec.kind))) return f[key];
  }
  const first = displayFields(item, template).find((d) => !SECRET_KINDS.includes(d.kind) && d.kind !== "multiline");
  return first ? first.value : "";
}

// --- search (items/search.py) ------------------------------------------------------------

/** The item's texts a search may look at: never a hidden or TOTP value, never history. */
export function searchableValues(item, template) {
  const out = [String(item.title ?? ""), String(item.notes ?? "")];
  if (Array.isArray(item.tags)) for (const tag of item.tags) out.push(String(tag));
  const kinds = new Map((template && !template.unknown ? template.fields : []).map((s) => [s.key, s.kind]));
  if (isObject(item.fields)) {
    for (const [key, value] of Object.entries(item.fields)) {
      const kind = kinds.get(key);
      const secret = kind ? SECRET_KINDS.includes(kind) : looksLikePassword(key);
      if (!secret) out.push(String(value));
    }
  }
  if (Array.isArray(item.custom)) {
    for (const entry of item.custom) {
      if (isObject(entry) && VISIBLE_CUSTOM_KINDS.includes(entry.kind)) out.push(String(entry.value ?? ""));
    }
  }
  return out;
}

/** The lower-cased text one search compares against, computed once per item version. */
export function searchText(item, template) {
  return searchableValues(item, template).join("\u0000").toLowerCase();
}

export function itemMatches(item, needle, template) {
  const folded = needle.toLowerCase();
  if (!folded) return true;
  return searchText(item, template).includes(folded);
}

// --- marks -------------------------------------------------------------------------------

export function isTrashed(item) {
  return item[TRASHED_AT] !== undefined && item[TRASHED_AT] !== null;
}

export function isConflictCopy(item) {
  return typeof item.conflict_of === "string";
}

/** What `safehold status` says of a conflict copy, for the list and the item view. */
export function conflictNote(item) {
  if (!isConflictCopy(item)) return "";
  const from = typeof item.conflict_from === "string" ? item.conflict_from : "another device";
  const at = typeof item.conflict_at === "string" ? item.conflict_at.slice(0, 16).replace("T", " ") : "";
  return `Conflict copy kept by ${from}${at ? ` at ${at}` : ""}: both this and the original were edited at once. Compare them, keep what you need, then delete this copy.`;
}

// --- edits -------------------------------------------------------------------------------

/** A new, empty item of `template`'s type. */
export function newItem(template, title, now = nowTime()) {
  return { v: ITEM_VERSION, type: template.key, title, fields: {}, custom: [], tags: [], favorite: false, notes: "", created: now, modified: now, history: [] };
}

/** Tags cleaned as model.set_tags: blanks and repeats (ignoring case) dropped, order kept. */
export function cleanTags(tags) {
  const seen = new Set();
  const out = [];
  for (const raw of tags) {
    const tag = String(raw).trim();
    if (tag && !seen.has(tag.toLowerCase())) {
      seen.add(tag.toLowerCase());
      out.push(tag);
    }
  }
  return out;
}

/** Check custom fields as spec/items.md §3 and model.add_custom do. */
export function checkCustom(custom, template, parseTotp) {
  const taken = new Set(["title", "notes"]);
  for (const spec of template.fields) {
    taken.add(normalizeName(spec.key));
    taken.add(normalizeName(spec.label));
  }
  const seen = new Set();
  for (const c of custom) {
    const name = normalizeName(c.name);
    if (!name) throw new InvalidField(`${pyRepr(c.name)} cannot be a field name: it has no letters or digits`);
    if (name === "title" || name === "notes") throw new InvalidField(`${pyRepr(c.name)} is reserved for the item's own ${name}`);
    if (taken.has(name) || seen.has(name)) throw new InvalidField(`this item already has a field called ${pyRepr(c.name)}`);
    if (!CUSTOM_KINDS.includes(c.kind)) throw new InvalidField(`a custom field's kind is one of ${CUSTOM_KINDS.join(", ")}, not ${pyRepr(c.kind)}`);
    if (c.kind === "totp" && c.value) parseTotp(c.value);
    seen.add(name);
  }
}

/**
 * The item after an edit form: `old` (null for a new item) with `changes` =
 * {title, fields, custom, tags, favorite, notes}. Hidden values that were replaced or removed
 * go to the history (§6); `modified` moves only if something changed; keys the form does not
 * know are kept.
 */
export function applyEdit(old, changes, template, now = nowTime()) {
  const base = old ?? newItem(template, changes.title ?? "", now);
  const next = structuredClone(base);
  next.title = changes.title ?? next.title;
  next.notes = changes.notes ?? next.notes;
  next.favorite = changes.favorite ?? next.favorite;
  if (changes.tags) next.tags = cleanTags(changes.tags);
  const kindOf = new Map(template.fields.map((s) => [s.key, s.kind]));
  if (changes.fields) {
    const fields = {};
    for (const [k, v] of Object.entries(base.fields)) if (!kindOf.has(k) && !(k in changes.fields)) fields[k] = v;
    for (const [k, v] of Object.entries(changes.fields)) if (v) fields[k] = v;
    for (const [k, oldValue] of Object.entries(base.fields)) {
      const hidden = (kindOf.get(k) ?? (looksLikePassword(k) ? "hidden" : "text")) === "hidden";
      if (hidden && oldValue && fields[k] !== oldValue) next.history.push({ field: k, value: oldValue, changed: now });
    }
    next.fields = fields;
  }
  if (changes.custom) {
    const before = new Map(base.custom.map((c) => [normalizeName(c.name), c]));
    const custom = changes.custom.filter((c) => c.value).map((c) => ({ name: c.name.trim(), kind: c.kind, value: c.value }));
    const after = new Map(custom.map((c) => [normalizeName(c.name), c]));
    for (const [name, c] of before) {
      const now2 = after.get(name);
      if (c.kind === "hidden" && c.value && (!now2 || now2.value !== c.value)) {
        next.history.push({ field: c.name, value: c.value, changed: now });
      }
    }
    next.custom = custom;
  }
  const { modified: _a, ...left } = next;
  const { modified: _b, ...right } = base;
  if (old === null || canonicalKey(left) !== canonicalKey(right)) next.modified = now;
  return next;
}

/** Moved to the trash (as `safehold rm`): nothing is deleted until the trash is emptied. */
export function toTrash(item, now = nowTime()) {
  return { ...structuredClone(item), [TRASHED_AT]: now, modified: now };
}

export function fromTrash(item, now = nowTime()) {
  const next = structuredClone(item);
  delete next[TRASHED_AT];
  next.modified = now;
  return next;
}

/** A stable text for comparing JSON values (object key order does not matter). */
export function canonicalKey(value) {
  return new TextDecoder().decode(canonicalJson(value));
}

/** Base64url length of an envelope of `n` bytes, as the server counts it. */
export function envelopeChars(n) {
  return Math.floor((n * 4 + 2) / 3);
}

/** vault.check_envelope_size: the CLI's message, word for word. */
export function checkEnvelopeSize(envelopeLength, title) {
  const size = envelopeChars(envelopeLength);
  if (size > MAX_ENVELOPE_CHARS) {
    const fmt = (n) => n.toLocaleString("en-US");
    throw new ItemTooLarge(
      `the item ${pyRepr(title)} is too large to sync: ${fmt(size)} characters encrypted, the server ` +
        `accepts at most ${fmt(MAX_ENVELOPE_CHARS)} (about ${Math.floor((MAX_ENVELOPE_CHARS * 3) / 4 / 1024)} KiB ` +
        "of item data); it was not saved",
    );
  }
}
