// A small password strength scorer in the spirit of zxcvbn: a score from 0 (too guessable)
// to 4 (very unguessable) and one line of advice. It estimates guesses from the length and
// the kinds of characters, after discounting what attackers try first: common passwords,
// the person's own email, repeated characters, and runs along the alphabet or keyboard.
// It is a guide for the person typing, not a security boundary (the server never sees the
// password, so it cannot check it).

// A short list of the most common passwords and their stems (lower case).
const COMMON = new Set(
  (
    "password passw0rd p@ssw0rd 123456 1234567 12345678 123456789 1234567890 qwerty qwertyuiop " +
    "azerty abc123 111111 000000 123123 iloveyou admin welcome letmein monkey dragon master " +
    "sunshine princess football baseball shadow superman trustno1 hunter2 hunter starwars " +
    "whatever freedom secret login passpass changeme default safehold test qazwsx zaq12wsx " +
    "solo michael jennifer charlie donald computer summer winter spring autumn hello " +
    "mustang access flower batman ninja loveme"
  ).split(" "),
);
const SEQUENCES = ["abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm", "azertyuiop"];

/** The minimum score the reset page accepts. */
export const MIN_SCORE = 3;

const LABELS = ["Too guessable", "Very weak", "Weak", "Good", "Strong"];

function poolSize(password) {
  let pool = 0;
  if (/[a-z]/.test(password)) pool += 26;
  if (/[A-Z]/.test(password)) pool += 26;
  if (/[0-9]/.test(password)) pool += 10;
  if (/[ -/:-@[-`{-~]/.test(password)) pool += 33;
  if (/[^\x00-\x7f]/u.test(password)) pool += 100;
  return Math.max(pool, 10);
}

// Characters that continue a repeat or a sequence count for little: "aaaa" and "abcd"
// are tried early by every cracker.
function effectiveLength(password) {
  const chars = [...password.toLowerCase()];
  let length = 0;
  for (let i = 0; i < chars.length; i++) {
    const prev = chars[i - 1];
    const here = chars[i];
    const repeat = prev === here;
    const sequence = prev !== undefined && SEQUENCES.some((s) => {
      const j = s.indexOf(prev);
      return j >= 0 && (s[j + 1] === here || s[j - 1] === here);
    });
    length += repeat || sequence ? 0.25 : 1;
  }
  return length;
}

/**
 * Score `password`. `userInputs` are strings the person might reuse (their email).
 * Returns { score: 0..4, label, bits, advice }.
 */
export function scorePassword(password, userInputs = []) {
  if (!password) return { score: 0, label: LABELS[0], bits: 0, advice: "Enter a password." };
  const lower = password.toLowerCase();
  const stem = lower.replace(/[0-9!@#$%^&*.?_-]+$/, "").replace(/^[0-9]+/, "");
  if (COMMON.has(lower) || COMMON.has(stem)) {
    return { score: 0, label: LABELS[0], bits: 0, advice: "This is one of the most common passwords." };
  }
  let working = lower;
  for (const input of userInputs) {
    for (const part of input.toLowerCase().split(/[@.+_-]/)) {
      if (part.length >= 3) working = working.split(part).join("\u0000");
    }
  }
  const personal = working !== lower;
  const length = effectiveLength(working.replace(/\u0000+/g, "\u0000"));
  const bits = length * Math.log2(poolSize(password));
  const score = bits < 20 ? 0 : bits < 35 ? 1 : bits < 50 ? 2 : bits < 65 ? 3 : 4;
  let advice = "";
  if (score < MIN_SCORE) {
    advice = personal
      ? "Avoid your name or email in the password."
      : "Make it longer: a few unrelated words are easy to remember and hard to guess.";
  }
  return { score, label: LABELS[score], bits: Math.round(bits), advice };
}
