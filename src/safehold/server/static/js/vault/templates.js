// The built-in record types of spec/items.md §2, in the browser. The same keys, labels,
// kinds and order as src/safehold/client/items/templates.py (TEMPLATES); a pytest test
// (tests/js/test_vault_js.py) compares the two lists, so they cannot drift apart.
//
// Keys are written into sealed items and never change; labels are what people read.

export const FIELD_KINDS = Object.freeze(["text", "hidden", "url", "date", "totp", "number", "email", "phone", "multiline"]);
export const CUSTOM_KINDS = Object.freeze(["text", "hidden", "url", "date", "totp"]);
/** The vault item type under which user-defined templates travel (spec/items.md §4). */
export const TEMPLATE_TYPE = "__template__";

const t = (key, label, ...fields) =>
  Object.freeze({
    key,
    label,
    builtin: true,
    fields: Object.freeze(fields.map(([k, l, kind]) => Object.freeze({ key: k, label: l, kind }))),
  });

export const TEMPLATES = Object.freeze([
  t("login", "Login", ["website", "Website", "url"], ["username", "Username", "text"], ["password", "Password", "hidden"], ["one_time_password", "One-Time Password", "totp"]),
  t(
    "credit_card", "Credit Card",
    ["card_number", "Card Number", "hidden"], ["expiration_date", "Expiration Date", "date"],
    ["security_code", "Security Code", "hidden"], ["name_on_card", "Name on Card", "text"],
    ["pin", "PIN", "hidden"], ["issuing_bank", "Issuing Bank", "text"], ["phone", "Phone No.", "phone"],
    ["billing_address", "Billing Address", "multiline"],
  ),
  t(
    "bank_account", "Bank Account",
    ["account_number", "Account Number", "text"], ["pin", "PIN", "hidden"], ["name", "Name", "text"],
    ["branch", "Branch", "text"], ["routing_number", "Routing Number", "number"],
    ["account_type", "Account Type", "text"], ["phone", "Phone No.", "phone"],
  ),
  t(
    "email_account", "Email Account",
    ["username", "Username", "text"], ["password", "Password", "hidden"],
    ["incoming_server", "Incoming Server", "text"], ["incoming_port", "Incoming Port", "number"],
    ["outgoing_server", "Outgoing Server", "text"], ["outgoing_port", "Outgoing Port", "number"],
  ),
  t(
    "frequent_flyer", "Frequent Flyer",
    ["number", "Number", "text"], ["website", "Website", "url"], ["username", "Username", "text"],
    ["password", "Password", "hidden"], ["mileage", "Mileage", "number"], ["status", "Status", "text"],
  ),
  t(
    "insurance", "Insurance",
    ["policy_number", "Policy Number", "text"], ["group_number", "Group Number", "text"],
    ["insured", "Insured", "text"], ["effective_date", "Effective Date", "date"],
    ["expiration_date", "Expiration Date", "date"], ["phone", "Phone No.", "phone"], ["website", "Website", "url"],
  ),
  t(
    "membership", "Membership",
    ["member_id", "Member ID", "text"], ["name", "Name", "text"], ["start_date", "Start Date", "date"],
    ["expiration_date", "Expiration Date", "date"], ["phone", "Phone No.", "phone"],
    ["website", "Website", "url"], ["password", "Password", "hidden"],
  ),
  t("calling_card", "Calling Card", ["access_number", "Access Number", "phone"], ["pin", "PIN", "hidden"]),
  t("combination", "Combination", ["code", "Code", "hidden"]),
  t("secure_note", "Secure Note"),
  t(
    "identity", "Identity",
    ["first_name", "First Name", "text"], ["middle_name", "Middle Name", "text"], ["last_name", "Last Name", "text"],
    ["nickname", "Nickname", "text"], ["company", "Company", "text"], ["job_title", "Job Title", "text"],
    ["address", "Address", "multiline"], ["home_phone", "Home Phone", "phone"],
    ["mobile_phone", "Mobile Phone", "phone"], ["work_phone", "Work Phone", "phone"],
    ["email", "Email", "email"], ["birthday", "Birthday", "date"], ["website", "Website", "url"],
  ),
  t(
    "passport", "Passport",
    ["passport_type", "Type", "text"], ["issuing_country", "Issuing Country", "text"], ["number", "Number", "text"],
    ["full_name", "Full Name", "text"], ["sex", "Sex", "text"], ["nationality", "Nationality", "text"],
    ["date_of_birth", "Date of Birth", "date"], ["place_of_birth", "Place of Birth", "text"],
    ["issue_date", "Issue Date", "date"], ["expiration_date", "Expiration Date", "date"],
    ["authority", "Issuing Authority", "text"],
  ),
  t(
    "drivers_licence", "Driver's Licence",
    ["number", "Number", "text"], ["full_name", "Full Name", "text"], ["address", "Address", "multiline"],
    ["date_of_birth", "Date of Birth", "date"], ["licence_class", "Class", "text"],
    ["issuing_region", "Country / State", "text"], ["issue_date", "Issue Date", "date"],
    ["expiration_date", "Expiration Date", "date"],
  ),
  t(
    "software_licence", "Software Licence",
    ["licence_key", "Licence Key", "hidden"], ["version", "Version", "text"], ["licensed_to", "Licensed To", "text"],
    ["email", "Registered Email", "email"], ["company", "Company", "text"], ["purchase_date", "Purchase Date", "date"],
    ["order_number", "Order Number", "text"], ["website", "Website", "url"],
  ),
  t(
    "wifi", "Wi-Fi",
    ["network_name", "Network Name (SSID)", "text"], ["password", "Password", "hidden"],
    ["security", "Security Type", "text"], ["base_station_name", "Base Station Name", "text"],
    ["base_station_password", "Base Station Password", "hidden"], ["server_address", "Server / IP Address", "text"],
  ),
  t("social_security_number", "Social Security Number", ["name", "Name", "text"], ["number", "Number", "hidden"]),
  t(
    "server", "Server",
    ["hostname", "Hostname", "text"], ["port", "Port", "number"], ["username", "Username", "text"],
    ["password", "Password", "hidden"], ["admin_url", "Admin Console URL", "url"],
    ["admin_username", "Admin Username", "text"], ["admin_password", "Admin Password", "hidden"],
  ),
]);

const BUILTIN = new Map(TEMPLATES.map((tpl) => [tpl.key, tpl]));

// Hidden fields whose normalised key contains one of these are passwords (templates.py).
const PASSWORD_MARKERS = ["password", "passphrase", "passcode"];

/**
 * The form used to compare names, as templates.normalize_name: case-folded, every
 * character that is not a letter or a digit dropped ("One-time password" is
 * "onetimepassword").
 */
export function normalizeName(name) {
  return String(name).toLowerCase().replace(/[^\p{L}\p{N}\p{M}]+/gu, "");
}

export function looksLikePassword(name) {
  const folded = normalizeName(name);
  return PASSWORD_MARKERS.some((marker) => folded.includes(marker));
}

export function builtinTemplate(key) {
  return BUILTIN.get(key) ?? null;
}

/** Read a user-defined type (the `template` of a `__template__` item); null if malformed. */
export function templateFromJson(data) {
  if (data === null || typeof data !== "object" || Array.isArray(data) || data.v !== 1) return null;
  const { key, label, fields } = data;
  if (typeof key !== "string" || !normalizeName(key) || typeof label !== "string" || !label.trim()) return null;
  if (!Array.isArray(fields)) return null;
  const out = [];
  const seen = new Set();
  for (const f of fields) {
    if (f === null || typeof f !== "object") return null;
    if (typeof f.key !== "string" || !normalizeName(f.key) || typeof f.label !== "string" || !f.label.trim()) return null;
    if (!FIELD_KINDS.includes(f.kind)) return null;
    for (const name of new Set([normalizeName(f.key), normalizeName(f.label)])) {
      if (seen.has(name)) return null;
      seen.add(name);
    }
    out.push(Object.freeze({ key: f.key, label: f.label, kind: f.kind }));
  }
  return Object.freeze({ key, label, builtin: false, fields: Object.freeze(out) });
}

/** A user-defined type from a label and [field label, kind] pairs; keys are derived (Template.custom). */
export function customTemplate(label, fields) {
  const slug = (name) => {
    const s = String(name).toLowerCase().replace(/[^\p{L}\p{N}\p{M}]+/gu, "_").replace(/^_+|_+$/g, "");
    if (!s) throw new Error(`${JSON.stringify(name)} cannot be used as a name: it has no letters or digits`);
    return s;
  };
  const json = {
    v: 1,
    key: slug(label),
    label,
    fields: fields.map(([name, kind]) => ({ key: slug(name), label: name, kind })),
  };
  const template = templateFromJson(json);
  if (!template) throw new Error("two fields of this record type have the same name, or a kind is unknown");
  return { template, json };
}

/**
 * The template of `typeKey`: a built-in one, else a user-defined one, else (a type not
 * synced yet) one made from the stored field keys, as model._fallback_template.
 */
export function templateFor(typeKey, userTemplates = [], fields = {}) {
  const builtin = BUILTIN.get(typeKey);
  if (builtin) return builtin;
  const user = userTemplates.find((tpl) => tpl.key === typeKey);
  if (user) return user;
  return Object.freeze({
    key: typeKey,
    label: typeKey,
    builtin: false,
    unknown: true,
    fields: Object.keys(fields).map((k) => ({ key: k, label: k, kind: looksLikePassword(k) ? "hidden" : "text" })),
  });
}
