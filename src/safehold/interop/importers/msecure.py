"""mSecure's CSV exports: version 6 (labelled cells) and version 5 (positional fields).

mSecure 6 writes a marker line ``mSecure6 CSV export file``, then one row per record:

    Title|record-id,Template,tag1;tag2,Notes with literal \\n,Label|type|value,Label|type|value,

(a trailing comma ends most rows; a value may itself contain ``|``, so only the first two
``|`` of a cell separate; line breaks in notes are the two characters ``\\n``). Its templates
are the ones Safehold's built-in types were drawn from, so each maps one to one; a cell whose
label has no field in the type becomes a custom field (hidden when mSecure typed it as a
password, a secure value or a card number).

mSecure 5 (and 3.5) write ``Group,Type,Description,Notes,field 1,field 2,…`` with the
fields in the order of the type's template and no labels: :data:`_V5_FIELDS` names them for
the default types; fields past the known ones, and those of a type of the person's own,
become ``Field N``. Windows builds write latin-1; Mac builds write a vertical tab where a
note had a line break.
"""

from __future__ import annotations

from typing import Final

from safehold.client.items import ItemError, normalize_name

from ._base import ImportRead, ItemBuilder, Skipped, fingerprint
from ._csv import Row, decode, raw_rows

MARKER_V6: Final = "msecure6 csv export file"

#: mSecure template names (6 and 5, singular or plural, normalised) → Safehold type keys.
_TYPES: Final = {
    "login": "login", "weblogin": "login", "weblogins": "login", "logins": "login",
    "creditcard": "credit_card", "creditcards": "credit_card",
    "bankaccount": "bank_account", "bankaccounts": "bank_account",
    "emailaccount": "email_account", "emailaccounts": "email_account",
    "frequentflyer": "frequent_flyer", "insurance": "insurance",
    "membership": "membership", "memberships": "membership",
    "callingcard": "calling_card", "callingcards": "calling_card", "voicemail": "calling_card",
    "combination": "combination", "combinations": "combination",
    "securenote": "secure_note", "note": "secure_note", "notes": "secure_note",
    "identity": "identity", "passport": "passport",
    "driverslicense": "drivers_licence", "driverslicence": "drivers_licence",
    "softwarelicense": "software_licence", "softwarelicence": "software_licence",
    "registrationcode": "software_licence", "registrationcodes": "software_licence",
    "wifi": "wifi", "wireless": "wifi", "wirelessrouter": "wifi",
    "socialsecurity": "social_security_number", "socialsecuritynumber": "social_security_number",
    "server": "server",
}  # fmt: skip

#: mSecure 6 field types whose values are secrets (password, secure text, card number).
_V6_HIDDEN: Final = {"8", "9", "12"}
_V6_URL: Final = {"2"}

#: mSecure 5's default types: the labels of their positional fields, in order. A label that
#: names a field of the mapped Safehold type fills it; any other becomes a custom field.
_V5_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "bankaccounts": ("Account Number", "PIN", "Name", "Branch", "Phone No."),
    "birthdays": ("Date",),
    "callingcards": ("Access Number", "PIN"),
    "clothessize": ("Shirt Size", "Pant Size", "Shoe Size", "Dress Size"),
    "combinations": ("Code",),
    "creditcards": ("Card Number", "Expiration Date", "Name on Card", "PIN", "Issuing Bank",
                    "Security Code"),
    "emailaccounts": ("Username", "Password", "Incoming Server", "Outgoing Server"),
    "frequentflyer": ("Number", "Website", "Username", "Password", "Mileage"),
    "insurance": ("Policy Number", "Group Number", "Insured", "Date", "Phone No."),
    "logins": ("Website", "ID", "Policy", "Username", "Password"),
    "memberships": ("Member ID", "Name", "Start Date"),
    "note": (),
    "prescriptions": ("RX Number", "Medicine", "Doctor", "Pharmacy", "Pharmacy Phone"),
    "registrationcodes": ("Licence Key", "Purchase Date"),
    "socialsecurity": ("Name", "Number"),
    "vehicleinfo": ("Licence Plate", "VIN", "Date Purchased", "Tyre Size"),
    "voicemail": ("Access Number", "PIN"),
    "weblogins": ("Website", "Username", "Password"),
}  # fmt: skip

#: Cells of a value that mSecure 6 separates with ``|`` (label, type, value).
_CELL_PARTS: Final = 3


def _type(name: str) -> str | None:
    return _TYPES.get(normalize_name(name))


def _finish(result: ImportRead, builder: ItemBuilder, where: str) -> None:
    try:
        result.items.append(builder.build())
    except ItemError as exc:
        result.skipped.append(Skipped(where, str(exc)))
        return
    for problem in builder.problems:
        result.skipped.append(Skipped(where, problem))


def _cells(row: Row) -> list[str]:
    # mSecure for Mac writes a vertical tab where a value had a line break (unquoted, so it
    # is read inside the cell, never as a row's end).
    return [row.cells[str(i)].replace("\x0b", "\n") for i in range(len(row.cells))]


# --- mSecure 6 --------------------------------------------------------------------------


def read_v6(data: bytes) -> ImportRead:
    result = ImportRead("msecure6-csv")
    records = raw_rows(decode(data))
    if records and normalize_name(_cells(records[0])[0]) == normalize_name(MARKER_V6):
        records = records[1:]
    for row in records:
        cells = _cells(row)
        while cells and not cells[-1].strip():
            cells.pop()  # mSecure ends rows with a comma
        where = f"line {row.line}"
        if len(cells) < 2:
            result.skipped.append(Skipped(where, "not an mSecure record (fewer than two cells)"))
            continue
        title, _, record_id = cells[0].partition("|")
        template = cells[1].strip()
        type_key = _type(template) or "secure_note"
        source_id = record_id.strip() or fingerprint(title, template, *cells[4:6])
        builder = ItemBuilder(type_key, title, source_format="msecure6-csv", source_id=source_id)
        if _type(template) is None and template:
            builder.custom("mSecure type", template)
        tags = cells[2] if len(cells) > 2 else ""
        builder.tag(*(t.strip() for t in tags.replace(",", ";").split(";")))
        if len(cells) > 3:
            builder.note(cells[3].replace("\\n", "\n"))
        for n, cell in enumerate(cells[4:], 1):
            parts = cell.split("|", _CELL_PARTS - 1)
            if len(parts) < _CELL_PARTS:
                builder.custom(f"Field {n}", cell)  # a cell without its label: kept as it is
                continue
            label, code, value = (parts[0].strip(), parts[1].strip(), parts[2])
            kind = "hidden" if code in _V6_HIDDEN else "url" if code in _V6_URL else None
            builder.labelled(label or f"Field {n}", value.replace("\\n", "\n"), kind)
        _finish(result, builder, where)
    return result


# --- mSecure 5 --------------------------------------------------------------------------


def read_v5(data: bytes) -> ImportRead:
    result = ImportRead("msecure5-csv")
    records = raw_rows(decode(data))
    if records and "msecure" in normalize_name(_cells(records[0])[0]) and len(records[0].cells) < 3:
        records = records[1:]  # a title line some versions write
    for row in records:
        cells = _cells(row)
        while cells and not cells[-1].strip():
            cells.pop()
        where = f"line {row.line}"
        if len(cells) < 3:
            result.skipped.append(Skipped(where, "not an mSecure 5 record (fewer than three cells)"))
            continue
        group, template, title = cells[0].strip(), cells[1].strip(), cells[2]
        type_key = _type(template) or "secure_note"
        builder = ItemBuilder(type_key, title, source_format="msecure5-csv",
                              source_id=fingerprint(group, template, title, *cells[4:5]))  # fmt: skip
        if _type(template) is None:
            builder.custom("mSecure type", template)
        if group and normalize_name(group) != "unassigned":
            builder.tag(group)
        if len(cells) > 3:
            builder.note(cells[3])
        labels = _V5_FIELDS.get(normalize_name(template), ())
        for n, value in enumerate(cells[4:]):
            label = labels[n] if n < len(labels) else f"Field {n + 1}"
            builder.labelled(label, value)
        _finish(result, builder, where)
    return result


def looks_like_v5(text: str) -> bool:
    """Whether ``text`` (a file's first bytes) reads as mSecure 5 rows: a default type name
    in the second cell of the first record."""
    for line in text.splitlines()[:3]:
        cells = line.split(",")
        if len(cells) >= 3 and normalize_name(cells[1].strip('"')) in _V5_FIELDS:
            return True
    return False
