// Passwords and passphrases with the entropy each really has, as
// src/safehold/client/items/generator.py: the same alphabets, the same counting (every
// chosen class present, by inclusion–exclusion), the EFF large word list (served from
// /static/data/, a copy of the client's, checked equal by a test). Randomness from
// crypto.getRandomValues, by rejection so every choice is uniform.

export const LOWER = "abcdefghijklmnopqrstuvwxyz";
export const UPPER = LOWER.toUpperCase();
export const DIGITS = "0123456789";
export const SYMBOLS = "!#$%&()*+,-./:;<=>?@[]^_{|}~";
const LOOKALIKES = new Set("Il1|O0oS5Z2B8`'\"");
export const MIN_LENGTH = 4;
export const MAX_LENGTH = 1024;
export const MAX_WORDS = 64;

/** A uniform integer in [0, n). */
export function randomBelow(n) {
  const limit = Math.floor(0x100000000 / n) * n;
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    if (buf[0] < limit) return buf[0] % n;
  }
}

export function characterClasses({ lower = true, upper = true, digits = true, symbols = true, excludeLookalikes = false } = {}) {
  let chosen = [lower && LOWER, upper && UPPER, digits && DIGITS, symbols && SYMBOLS].filter(Boolean);
  if (excludeLookalikes) chosen = chosen.map((a) => [...a].filter((c) => !LOOKALIKES.has(c)).join(""));
  return chosen;
}

/** log2 of how many strings of `length` over the classes contain every class. */
export function passwordBits(length, sizes) {
  let total = 0n;
  const n = sizes.length;
  for (let mask = 0; mask < 1 << n; mask++) {
    let missing = 0;
    let left = 0;
    sizes.forEach((s, i) => {
      if (mask & (1 << i)) missing += 1;
      else left += s;
    });
    const term = BigInt(left) ** BigInt(length);
    total += missing % 2 ? -term : term;
  }
  const text = total.toString(2);
  // log2 of a BigInt: its bit length plus the fraction from the leading 52 bits.
  const head = Number.parseInt(text.slice(0, 53), 2);
  return text.length - Math.min(text.length, 53) + Math.log2(head);
}

export function generatePassword(options = {}) {
  const length = options.length ?? 20;
  if (!Number.isInteger(length) || length < MIN_LENGTH || length > MAX_LENGTH) {
    throw new RangeError(`a password has ${MIN_LENGTH} to ${MAX_LENGTH} characters`);
  }
  const classes = characterClasses(options);
  if (!classes.length) throw new RangeError("choose at least one kind of character");
  if (length < classes.length) throw new RangeError("the password is too short to hold every kind of character chosen");
  const alphabet = classes.join("");
  let value;
  do {
    value = Array.from({ length }, () => alphabet[randomBelow(alphabet.length)]).join("");
  } while (!classes.every((cls) => [...value].some((c) => cls.includes(c))));
  return { value, bits: passwordBits(length, classes.map((c) => c.length)) };
}

let words = null;

export async function loadWordlist(url = new URL("../../data/eff_large.txt", import.meta.url)) {
  if (words) return words;
  const text = await (await fetch(url, { credentials: "omit" })).text();
  const list = text.split("\n").map((line) => line.split("\t").pop().trim()).filter(Boolean);
  if (list.length !== 7776 || new Set(list).size !== 7776) throw new Error("the word list is damaged: reload the page");
  words = list;
  return words;
}

export function generatePassphrase(list, { words: count = 6, separator = "-", capitalize = false, addNumber = false } = {}) {
  if (!Number.isInteger(count) || count < 1 || count > MAX_WORDS) throw new RangeError(`a passphrase has 1 to ${MAX_WORDS} words`);
  let chosen = Array.from({ length: count }, () => list[randomBelow(list.length)]);
  if (capitalize) chosen = chosen.map((w) => w[0].toUpperCase() + w.slice(1));
  let bits = count * Math.log2(list.length);
  if (addNumber) {
    chosen[randomBelow(count)] += String(randomBelow(10));
    bits += Math.log2(10 * count);
  }
  return { value: chosen.join(separator), bits };
}
