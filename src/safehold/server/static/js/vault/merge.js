// Three-way merge of two versions of one item against their common base: a line-by-line
// port of src/safehold/client/merge.py, so a browser edit that meets a 409 is merged field
// by field exactly as the CLI merges it (spec/items.md §7). Pure functions.
//
// Per key (per field inside `fields`, per name inside `custom`): changed on one side only →
// that side; on both to the same value → that value; on both differently → a conflict: the
// remote value stays in the merged item and the caller keeps the local version as a
// conflict copy. `tags` merge as sets, `history` is a union, `modified` the later one.

import { canonicalKey } from "./items.js";

const SET_KEYS = new Set(["tags"]);
const UNION_KEYS = new Set(["history"]);
const LATEST_KEYS = new Set(["modified"]);
const DICT_KEYS = new Set(["fields"]);
const NAMED_LIST_KEYS = new Set(["custom"]);
const TRASHED_AT = "trashed_at";

export const MISSING = Symbol("missing");

const isDict = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && v !== MISSING;
// Python's == on JSON values: dicts regardless of key order, lists in order.
const freeze = (v) => (v === MISSING ? "\u0000missing" : canonicalKey(v));
const eq = (a, b) => (a === MISSING || b === MISSING ? a === b : freeze(a) === freeze(b));

// Python compares str by code point; JavaScript's < by UTF-16 unit.
function cmpStr(a, b) {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0) - y.value.codePointAt(0);
    if (d !== 0) return d;
  }
}

// Python's str() of a JSON value, for sort keys (only strings matter in practice).
const pyStr = (v) => (typeof v === "string" ? v : v === undefined ? "None" : JSON.stringify(v));

function pick(path, b, l, r, conflicts) {
  if (eq(l, r)) return l;
  if (eq(l, b)) return r;
  if (eq(r, b)) return l;
  conflicts.push(path);
  return r;
}

function mergeSet(b, l, r) {
  if (eq(l, r) || eq(l, b)) return r;
  if (eq(r, b)) return l;
  if (![b, l, r].every((v) => Array.isArray(v) || v === MISSING)) return r !== MISSING ? r : l;
  const base = new Set((b === MISSING ? [] : b).map(freeze));
  const left = l === MISSING ? [] : l;
  const right = r === MISSING ? [] : r;
  const lset = new Set(left.map(freeze));
  const rset = new Set(right.map(freeze));
  const out = [];
  const seen = new Set();
  for (const value of [...right, ...left]) {
    const key = freeze(value);
    if (seen.has(key)) continue;
    const inL = lset.has(key);
    const inR = rset.has(key);
    const inB = base.has(key);
    if ((inL && inR) || (inL && !inB) || (inR && !inB)) {
      out.push(value);
      seen.add(key);
    }
  }
  return out;
}

function historyKey(entry) {
  if (isDict(entry) && "field" in entry && "value" in entry) return `${pyStr(entry.field)}\u0000${freeze(entry.value)}`;
  return null;
}

function dedupeHistory(remote, localExtra, base) {
  const inBase = new Set(base.map(freeze));
  const remoteNew = new Map();
  remote.forEach((entry, index) => {
    const key = historyKey(entry);
    if (key !== null && !inBase.has(freeze(entry)) && !remoteNew.has(key)) remoteNew.set(key, index);
  });
  const out = [...remote];
  for (const entry of localExtra) {
    const key = historyKey(entry);
    if (key === null || inBase.has(freeze(entry)) || !remoteNew.has(key)) {
      out.push(entry);
      continue;
    }
    const index = remoteNew.get(key);
    if (cmpStr(pyStr(entry.changed ?? ""), pyStr(out[index].changed ?? "")) < 0) out[index] = entry;
  }
  return out;
}

function mergeUnion(b, l, r) {
  // Old passwords are kept even against a side that dropped them: history only grows.
  if (eq(l, r)) return l;
  if (!Array.isArray(l) || !Array.isArray(r)) return r !== MISSING ? r : l;
  const seen = new Set(r.map(freeze));
  const extra = l.filter((v) => !seen.has(freeze(v)));
  const merged = dedupeHistory(r, extra, Array.isArray(b) ? b : []);
  if (merged.every((v) => isDict(v) && typeof v.changed === "string")) {
    // A total order, so every device that merges the same histories stores the same list.
    merged.sort(
      (x, y) =>
        cmpStr(x.changed, y.changed) || cmpStr(pyStr(x.field), pyStr(y.field)) || cmpStr(pyStr(x.value), pyStr(y.value)),
    );
  }
  return merged;
}

function mergeNamed(path, b, l, r, conflicts) {
  const byName = (value) => {
    if (value === MISSING) return new Map();
    if (!Array.isArray(value) || !value.every((v) => isDict(v) && "name" in v)) return null;
    const names = value.map((v) => pyStr(v.name));
    if (new Set(names).size !== names.length) return null;
    return new Map(value.map((v) => [pyStr(v.name), v]));
  };
  if (eq(l, r) || eq(l, b)) return r;
  if (eq(r, b)) return l;
  const bd = byName(b);
  const ld = byName(l);
  const rd = byName(r);
  if (bd === null || ld === null || rd === null) return pick(path, b, l, r, conflicts);
  const order = [...rd.keys(), ...[...ld.keys()].filter((n) => !rd.has(n))];
  const out = [];
  for (const name of order) {
    const get = (m) => (m.has(name) ? m.get(name) : MISSING);
    const value = pick(`${path}.${name}`, get(bd), get(ld), get(rd), conflicts);
    if (value !== MISSING) out.push(value);
  }
  return out;
}

function mergeDict(prefix, b, l, r, conflicts, top) {
  if (!isDict(l) || !isDict(r)) return pick(prefix, b, l, r, conflicts);
  if (!top && (eq(l, b) || eq(r, b))) return eq(l, b) ? r : l;
  const base = isDict(b) ? b : {};
  const out = {};
  const keys = [...Object.keys(r), ...Object.keys(l).filter((k) => !(k in r))];
  const get = (o, k) => (Object.hasOwn(o, k) ? o[k] : MISSING);
  for (const key of keys) {
    const bv = get(base, key);
    const lv = get(l, key);
    const rv = get(r, key);
    const path = prefix ? `${prefix}.${key}` : key;
    let value;
    if (top && LATEST_KEYS.has(key)) {
      const present = [lv, rv].filter((v) => v !== MISSING);
      // max(present, key=str): the first of equal maxima, as Python's max.
      value = present.length ? present.reduce((a, c) => (cmpStr(pyStr(c), pyStr(a)) > 0 ? c : a)) : MISSING;
    } else if (top && SET_KEYS.has(key)) value = mergeSet(bv, lv, rv);
    else if (top && UNION_KEYS.has(key)) value = mergeUnion(bv, lv, rv);
    else if (top && NAMED_LIST_KEYS.has(key)) value = mergeNamed(path, bv, lv, rv, conflicts);
    else if (top && DICT_KEYS.has(key) && !eq(lv, rv)) value = mergeDict(path, bv, lv, rv, conflicts, false);
    else value = pick(path, bv, lv, rv, conflicts);
    if (value !== MISSING) out[key] = value;
  }
  return out;
}

const content = (item) => {
  const out = {};
  for (const [k, v] of Object.entries(item)) if (k !== TRASHED_AT && k !== "modified") out[k] = v;
  return out;
};

/**
 * Merge `local` and `remote` against `base` (null when there is no common base: then every
 * difference is a conflict). Returns {merged, conflicts} (dotted paths, remote kept).
 */
export function mergeItems(base, local, remote) {
  const conflicts = [];
  const merged = mergeDict("", base ?? {}, local, remote, conflicts, true);
  if (merged[TRASHED_AT] !== undefined && merged[TRASHED_AT] !== null && base !== null && base !== undefined) {
    // Trashed on one device, edited on the other: the edit brings it back out.
    for (const side of [local, remote]) {
      if ((side[TRASHED_AT] === undefined || side[TRASHED_AT] === null) && !eq(content(side), content(base))) {
        delete merged[TRASHED_AT];
        break;
      }
    }
  }
  return { merged, conflicts };
}

/** `<title> (conflict copy from <device>, <date>)`, as merge.conflict_title. */
export function conflictTitle(title, device, when) {
  return `${title} (conflict copy from ${device}, ${when})`;
}

/**
 * The conflict copy of `local` (sync._keep_conflict_copy): the local values under a new id,
 * its title marked, and conflict_of / conflict_from / conflict_at set.
 */
export function conflictCopy(itemId, local, deviceName, now = new Date()) {
  const when = now.toISOString();
  const copy = { ...structuredClone(local) };
  copy.title = conflictTitle(String(local.title ?? ""), deviceName, when.slice(0, 16).replace("T", " "));
  copy.conflict_of = itemId;
  copy.conflict_from = deviceName;
  // Python writes isoformat() with +00:00; the item model reads either.
  copy.conflict_at = when.slice(0, 19) + "Z";
  return copy;
}
