// The web vault's settings, read in one place. Defaults are the CLI's: the Argon2id floor
// of spec §3.2 (protocol.js DEFAULT_KDF_PARAMS) and the agent's 10-minute idle lock.
//
// Tests may lower them, and only through `globalThis.SAFEHOLD_TEST_ONLY`, which a test
// harness sets before the page's scripts run (Playwright's add_init_script). Nothing the
// server sends can change them: the page's HTML carries no setting, so a server cannot
// lower the KDF floor or lengthen the idle time. A page with the knob set says so loudly.

import { DEFAULT_KDF_PARAMS } from "../protocol.js";

const knobs = globalThis.SAFEHOLD_TEST_ONLY ?? null;
if (knobs) console.warn("SAFEHOLD_TEST_ONLY is set: test-only settings are in force in this page", knobs);

/** The weakest Argon2id cost this page accepts from a server. */
export const KDF_FLOOR = Object.freeze({ ...DEFAULT_KDF_PARAMS, ...(knobs?.kdfFloor ?? {}) });
/** Lock after this long without a key press, click or touch (the agent's default idle). */
export const IDLE_MS = knobs?.idleMs ?? 10 * 60 * 1000;
/** Lock when the tab has been hidden this long. */
export const HIDDEN_MS = knobs?.hiddenMs ?? 60 * 1000;
/** Pull other devices' changes this often while unlocked. */
export const POLL_MS = knobs?.pollMs ?? 30 * 1000;
/**
 * The idle lifetime this page asks the server for its session (spec/api.md "Sign-in"): an
 * unlocked page uses its session at least every POLL_MS, and a locked one has signed out,
 * so only a tab killed without signing out leaves a session behind, and the server ends it
 * after this rather than after its own 30 days.
 */
export const SESSION_IDLE_SECONDS = 60 * 60;
/** Whether the knob is set (the page shows a banner). */
export const TEST_MODE = Boolean(knobs);
