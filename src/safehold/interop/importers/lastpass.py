"""LastPass's CSV export: ``url,username,password,totp,extra,name,grouping,fav``.

A row whose ``url`` is ``http://sn`` is a secure note. A note made from one of LastPass's
note templates holds its fields in ``extra`` as ``Key:Value`` lines after a first
``NoteType:<template>`` line, and ends with ``Notes:``, whose value runs to the end (it may
span lines). Templates map onto Safehold's types (:data:`_NOTE_TYPES`); a key with no field
in the type becomes a custom field. ``grouping`` is the folder, nested with ``\\``
(``Work\\Dev``), and becomes the tag ``Work/Dev``; ``fav`` is ``1`` for a favourite.
"""

from __future__ import annotations

import re
from typing import Final

from safehold.client.items import ItemError, normalize_name

from ._base import ImportRead, ItemBuilder, Skipped, fingerprint
from ._csv import Row, decode, rows

SECURE_NOTE_URL: Final = "http://sn"

#: LastPass note templates (normalised) → Safehold types.
_NOTE_TYPES: Final = {
    "creditcard": "credit_card", "bankaccount": "bank_account", "address": "identity",
    "database": "server", "driverslicense": "drivers_licence", "emailaccount": "email_account",
    "healthinsurance": "insurance", "insurance": "insurance", "membership": "membership",
    "passport": "passport", "server": "server", "socialsecurity": "social_security_number",
    "softwarelicense": "software_licence", "wifipassword": "wifi",
}  # fmt: skip

#: Keys of LastPass templates whose label is not one of the Safehold field's names.
_RENAMES: Final[dict[str, dict[str, str]]] = {
    "credit_card": {"Type": "Card type"},
    "bank_account": {"Pin": "PIN", "Branch Phone": "Phone No."},
    "identity": {"Phone": "Home Phone", "Evening Phone": "Work Phone", "Username": "Nickname",
                 "Title": "Salutation"},
    "server": {"Hostname": "Hostname", "Type": "Database type"},
    "drivers_licence": {"Name": "Full Name", "State": "Country / State", "Number": "Number"},
    "email_account": {"Server": "Incoming Server", "Port": "Incoming Port",
                      "SMTP Server": "Outgoing Server", "SMTP Port": "Outgoing Port", "Type": "Server type"},
    "insurance": {"Policy Number": "Policy Number", "Agent Name": "Agent", "Telephone": "Phone No."},
    "membership": {"Member Name": "Name", "Membership Number": "Member ID", "Telephone": "Phone No."},
    "passport": {"Name": "Full Name", "Type": "Type", "Issuing Authority": "Issuing Authority",
                 "Country": "Issuing Country"},
    "software_licence": {"Licensee": "Licensed To", "Support Email": "Support email"},
    "wifi": {"SSID": "Network Name (SSID)", "Connection Type": "Security Type"},
}  # fmt: skip
#: Keys that are parts of one multi-line address.
_ADDRESS_PARTS: Final = ("Address 1", "Address 2", "Address 3")
_MONTHS: Final = {
    m: n for n, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                "august", "september", "october", "november", "december"), 1)
}  # fmt: skip
_KEY_LINE: Final = re.compile(r"^([A-Za-z0-9][A-Za-z0-9 /'#.\-]{0,40}):(.*)$")


def _expiry(text: str) -> str:
    """LastPass writes card dates as ``June,2030``; the item keeps ``2030-06``."""
    month, _, year = text.partition(",")
    number = _MONTHS.get(month.strip().lower())
    if number and year.strip().isdigit():
        return f"{year.strip()}-{number:02d}"
    return text


def _note_fields(extra: str) -> tuple[str, list[tuple[str, str]], str]:
    """(the template name, its ``Key:Value`` pairs in order, the ``Notes:`` text)."""
    lines = extra.replace("\r\n", "\n").split("\n")
    template = lines[0].partition(":")[2].strip()
    pairs: list[tuple[str, str]] = []
    for index, line in enumerate(lines[1:], 1):
        if line.startswith("Notes:"):
            notes = "\n".join([line[len("Notes:") :], *lines[index + 1 :]])
            return template, pairs, notes
        match = _KEY_LINE.match(line)
        if match:
            pairs.append((match.group(1).strip(), match.group(2)))
        elif pairs:  # a value that spans lines
            key, value = pairs[-1]
            pairs[-1] = (key, value + "\n" + line)
    return template, pairs, ""


def _new(type_key: str, title: str, source_id: str) -> ItemBuilder:
    return ItemBuilder(type_key, title, source_format="lastpass-csv", source_id=source_id)


def _secure_note(row: Row, title: str, source_id: str) -> ItemBuilder:
    extra = row.get("extra")
    if not extra.startswith("NoteType:"):
        builder = _new("secure_note", title, source_id)
        builder.note(extra)
        return builder
    template, pairs, notes = _note_fields(extra)
    type_key = _NOTE_TYPES.get(normalize_name(template), "secure_note")
    builder = _new(type_key, title, source_id)
    if type_key == "secure_note":
        builder.custom("LastPass type", template)
    renames = _RENAMES.get(type_key, {})
    address = [value for key, value in pairs if key in _ADDRESS_PARTS and value.strip()]
    if address and type_key == "identity":
        builder.set("address", "\n".join(address))
    for key, value in pairs:
        if key == "Language" or (key in _ADDRESS_PARTS and type_key == "identity"):
            continue  # the note template's language, not the person's data
        if "date" in key.lower():
            value = _expiry(value)
        builder.labelled(renames.get(key, key), value)
    builder.note(notes)
    return builder


def read_csv(data: bytes) -> ImportRead:
    result = ImportRead("lastpass-csv")
    _, body = rows(decode(data))
    for row in body:
        url, name = row.get("url"), row.get("name")
        grouping = row.get("grouping")
        source_id = fingerprint(grouping, name, url, row.get("username"))
        try:
            if url.strip() == SECURE_NOTE_URL:
                builder = _secure_note(row, name, source_id)
            else:
                builder = _new("login", name, source_id)
                builder.set("website", url)
                builder.set("username", row.get("username"))
                builder.set("password", row.get("password"))
                builder.set("one_time_password", row.get("totp"))
                builder.note(row.get("extra"))
        except ItemError as exc:
            result.skipped.append(Skipped(f"line {row.line}", str(exc)))
            continue
        builder.tag("/".join(p for p in grouping.split("\\") if p))
        builder.data["favorite"] = row.get("fav").strip() == "1"
        try:
            result.items.append(builder.build())
        except ItemError as exc:
            result.skipped.append(Skipped(f"line {row.line}", str(exc)))
            continue
        for problem in builder.problems:
            result.skipped.append(Skipped(f"line {row.line}", problem))
    return result
