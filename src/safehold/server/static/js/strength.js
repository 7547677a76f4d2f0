// The reset page's password rule, shared with the CLI (safehold/client, Python `zxcvbn`):
// a password is acceptable when zxcvbn scores it at least MIN_SCORE with the account's
// email and the email's local part as user inputs. The empty password is refused on its own.
//
// zxcvbn is the vendored npm package (static/vendor/zxcvbn, ~800 KB), imported lazily so
// only the reset form ever downloads it. It is a guide for the person typing, not a
// security boundary: the server never sees the password, so it cannot check it.

/** The minimum zxcvbn score accepted (0 = too guessable … 4 = very unguessable). */
export const MIN_SCORE = 2;

/**
 * Only this many characters are scored. Python's zxcvbn refuses longer input, and the
 * matchers grow quadratically; a password whose first 72 characters are guessable is
 * refused however it continues, on both sides alike.
 */
export const MAX_SCORED_LENGTH = 72;

const LABELS = ["Too guessable", "Very weak", "Fair", "Good", "Strong"];

let loading = null;

/**
 * Load zxcvbn once; resolves to the `zxcvbn(password, userInputs)` function. The file is
 * a UMD bundle: imported as a module it attaches itself to the global object.
 */
export function loadZxcvbn() {
  loading ??= import(new URL("../vendor/zxcvbn/zxcvbn.js", import.meta.url).href).then((mod) => {
    const fn = globalThis.zxcvbn ?? mod.default;
    if (typeof fn !== "function") throw new Error("zxcvbn did not load");
    return fn;
  });
  return loading;
}

/** The words a person is likely to reuse: the email and its local part. */
export function userInputs(email) {
  const address = String(email ?? "").trim();
  if (!address) return [];
  const local = address.split("@")[0];
  return local && local !== address ? [address, local] : [address];
}

/**
 * Judge `password` for the account `email` with the loaded `zxcvbn` function.
 * Returns { empty, score, acceptable, label, warning, suggestions }.
 */
export function assessPassword(zxcvbn, password, email) {
  if (!password) {
    return { empty: true, score: 0, acceptable: false, label: LABELS[0], warning: "", suggestions: [] };
  }
  const scored = [...password].slice(0, MAX_SCORED_LENGTH).join("");
  const result = zxcvbn(scored, userInputs(email));
  const score = Math.max(0, Math.min(4, result.score | 0));
  return {
    empty: false,
    score,
    acceptable: score >= MIN_SCORE,
    label: LABELS[score],
    warning: result.feedback?.warning ?? "",
    suggestions: [...(result.feedback?.suggestions ?? [])],
  };
}
