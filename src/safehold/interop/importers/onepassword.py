"""1Password's exports: 1PUX (a zip holding ``export.data``) and CSV.

1PUX's ``export.data`` is JSON: ``accounts[].vaults[].items[]``, each item with ``uuid``,
``favIndex``, ``createdAt``/``updatedAt`` (seconds since 1970), ``state`` (``active`` or
``archived``), ``categoryUuid`` (:data:`_CATEGORIES`), ``overview`` (``title``, ``url``,
``urls``, ``tags``) and ``details`` (``loginFields`` with a ``designation`` of ``username``
or ``password``, ``notesPlain``, ``sections[].fields[]`` and ``passwordHistory``). A
section field's ``value`` is an object of one key naming its kind (``string``,
``concealed``, ``totp``, ``url``, ``email``, ``phone``, ``date``, ``monthYear``, ``address``,
``sshKey``, …); some kinds hold objects (an email address with its provider, an address,
an SSH key, a linked account), which are read field by field. Fields map by their id or
label onto the type's fields, the rest become custom fields; the vault's name and
1Password's tags become tags; archived items are kept, tagged ``Archived``. Attached files
are not in ``export.data``'s JSON and are reported as left out.

The zip is read with limits: ``export.data`` must be at most :data:`MAX_DATA_BYTES` once
expanded, counted while reading (a zip's own size claims are not trusted).

CSV (1Password 8): ``Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes``;
other columns (older versions wrote more) become custom fields.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any, Final

from safehold.client.items import ItemError

from ._base import CorruptFile, ImportRead, ItemBuilder, Skipped, fingerprint, from_unix
from ._csv import decode, rows

DATA_NAME: Final = "export.data"
#: The most ``export.data`` may expand to; a zip that would expand further is refused.
MAX_DATA_BYTES: Final = 256 * 1024 * 1024

_CATEGORIES: Final = {
    "001": "login", "002": "credit_card", "003": "secure_note", "004": "identity",
    "005": "login", "006": "secure_note", "100": "software_licence", "101": "bank_account",
    "102": "server", "103": "drivers_licence", "104": "secure_note", "105": "membership",
    "106": "passport", "107": "membership", "108": "social_security_number", "109": "wifi",
    "110": "server", "111": "email_account", "112": "secure_note", "113": "secure_note",
    "114": "secure_note", "115": "secure_note",
}  # fmt: skip
_CATEGORY_NAMES: Final = {
    "006": "Document", "104": "Outdoor License", "107": "Reward Program", "112": "API Credential",
    "113": "Medical Record", "114": "SSH Key", "115": "Crypto Wallet", "102": "Database",
}  # fmt: skip

#: 1Password's section field ids → Safehold field keys, per type.
_FIELD_IDS: Final[dict[str, dict[str, str]]] = {
    "credit_card": {"cardholder": "name_on_card", "ccnum": "card_number", "cvv": "security_code",
                    "expiry": "expiration_date", "bank": "issuing_bank", "pin": "pin",
                    "phoneLocal": "phone"},
    "identity": {"firstname": "first_name", "initial": "middle_name", "lastname": "last_name",
                 "company": "company", "jobtitle": "job_title", "address": "address",
                 "defphone": "home_phone", "homephone": "home_phone", "cellphone": "mobile_phone",
                 "busphone": "work_phone", "email": "email", "birthdate": "birthday",
                 "website": "website", "username": "nickname"},
    "bank_account": {"owner": "name", "accountType": "account_type", "routingNo": "routing_number",
                     "accountNo": "account_number", "telephonePin": "pin", "branchPhone": "phone"},
    "server": {"url": "hostname", "hostname": "hostname", "port": "port", "username": "username",
               "password": "password", "admin_console_url": "admin_url",
               "admin_console_username": "admin_username", "admin_console_password": "admin_password"},
    "wifi": {"network_name": "network_name", "wireless_password": "password",
             "wireless_security": "security", "name": "base_station_name",
             "password": "base_station_password", "server": "server_address"},
    "email_account": {"pop_username": "username", "pop_password": "password",
                      "pop_server": "incoming_server", "pop_port": "incoming_port",
                      "smtp_server": "outgoing_server", "smtp_port": "outgoing_port"},
    "software_licence": {"reg_code": "licence_key", "product_version": "version",
                         "reg_name": "licensed_to", "reg_email": "email", "company": "company",
                         "order_date": "purchase_date", "order_number": "order_number",
                         "download_link": "website"},
    "passport": {"type": "passport_type", "issuing_country": "issuing_country", "number": "number",
                 "fullname": "full_name", "sex": "sex", "nationality": "nationality",
                 "birthdate": "date_of_birth", "birthplace": "place_of_birth",
                 "issue_date": "issue_date", "expiry_date": "expiration_date",
                 "issuing_authority": "authority"},
    "drivers_licence": {"fullname": "full_name", "address": "address", "birthdate": "date_of_birth",
                        "class": "licence_class", "state": "issuing_region", "number": "number",
                        "expiry_date": "expiration_date"},
    "membership": {"member_name": "name", "membership_no": "member_id", "member_since": "start_date",
                   "expiry_date": "expiration_date", "phone": "phone", "website": "website",
                   "pin": "password"},
    "social_security_number": {"name": "name", "number": "number"},
}  # fmt: skip
_HIDDEN_KINDS: Final = {"concealed", "creditCardNumber", "sshKey"}


# --- reading the zip --------------------------------------------------------------------


def _export_data(data: bytes) -> Any:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise CorruptFile("not a 1PUX file: not a zip archive (truncated?)") from None
    with archive:
        try:
            info = archive.getinfo(DATA_NAME)
        except KeyError:
            raise CorruptFile(f"not a 1PUX file: the zip has no {DATA_NAME}") from None
        if info.file_size > MAX_DATA_BYTES:
            raise CorruptFile(_too_big())
        chunks, total = [], 0
        try:
            with archive.open(info) as handle:
                while chunk := handle.read(1024 * 1024):
                    total += len(chunk)
                    if total > MAX_DATA_BYTES:  # the size in the zip's directory may lie
                        raise CorruptFile(_too_big())
                    chunks.append(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
            raise CorruptFile(f"the zip is damaged ({exc})") from None
    try:
        return json.loads(decode(b"".join(chunks)))
    except ValueError as exc:
        raise CorruptFile(
            f"{DATA_NAME} is not valid JSON (line {getattr(exc, 'lineno', '?')}): truncated?"
        ) from None


def _too_big() -> str:
    return f"{DATA_NAME} would expand past {MAX_DATA_BYTES // 2**20} MiB; refused"


def is_1pux(archive_names: list[str]) -> bool:
    return DATA_NAME in archive_names


# --- values -----------------------------------------------------------------------------


def _month_year(value: int) -> str:
    return f"{value // 100:04d}-{value % 100:02d}" if 100 <= value <= 999_912 else str(value)


def _date(value: int) -> str:
    try:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        return str(value)


def _text(kind: str, value: Any) -> str:
    """A section field's value as text; objects are read field by field."""
    if kind == "date" and isinstance(value, int) and not isinstance(value, bool):
        return _date(value)
    if kind == "monthYear" and isinstance(value, int) and not isinstance(value, bool):
        return _month_year(value)
    if kind == "email" and isinstance(value, dict):
        return str(value.get("email_address") or value.get("emailAddress") or "")
    if kind == "address" and isinstance(value, dict):
        parts = [value.get(k) for k in ("street", "city", "state", "zip", "country")]
        return "\n".join(str(p) for p in parts if isinstance(p, str) and p)
    if kind == "sshKey" and isinstance(value, dict):
        return str(value.get("privateKey") or "")
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_scalar(v)}" for k, v in value.items() if _scalar(v))
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _custom_kind(kind: str) -> str | None:
    if kind in _HIDDEN_KINDS:
        return "hidden"
    return {"totp": "totp", "url": "url", "date": "date", "monthYear": "date"}.get(kind)


# --- items ------------------------------------------------------------------------------


def _section_fields(builder: ItemBuilder, details: dict[str, Any], type_key: str) -> None:
    ids = _FIELD_IDS.get(type_key, {})
    for section in details.get("sections") or []:
        if not isinstance(section, dict):
            continue
        for field in section.get("fields") or []:
            if not isinstance(field, dict) or not isinstance(field.get("value"), dict):
                continue
            value_obj: dict[str, Any] = field["value"]
            if not value_obj:
                continue
            kind, raw = next(iter(value_obj.items()))
            text = _text(kind, raw)
            label = str(field.get("title") or field.get("id") or "Field")
            label = label[:1].upper() + label[1:]  # 1Password writes its own labels in lower case
            if kind == "sshKey" and isinstance(raw, dict):
                meta = _obj(raw.get("metadata"))
                builder.custom("Public key", _scalar(meta.get("publicKey")), "text")
                builder.custom("Fingerprint", _scalar(meta.get("fingerprint")), "text")
            if kind == "email" and isinstance(raw, dict) and raw.get("provider"):
                builder.custom(f"{label} provider", _scalar(raw.get("provider")), "text")
            key = ids.get(str(field.get("id") or ""))
            if key is not None and key not in builder.data["fields"]:
                builder.set(key, text)
            elif kind == "totp" and "one_time_password" in builder.keys:
                builder.set("one_time_password", text)
            else:
                builder.labelled(label, text, _custom_kind(kind))


def _item(raw: dict[str, Any], vault: str) -> ItemBuilder:
    overview = _obj(raw.get("overview"))
    details = _obj(raw.get("details"))
    category = str(raw.get("categoryUuid") or "")
    type_key = _CATEGORIES.get(category, "secure_note")
    title = str(overview.get("title") or "")
    source_id = str(raw.get("uuid") or fingerprint(vault, title, category))
    builder = ItemBuilder(type_key, title, source_format="1password-1pux", source_id=source_id)
    if category in _CATEGORY_NAMES:
        builder.tag(_CATEGORY_NAMES[category])
    for field in details.get("loginFields") or []:
        if not isinstance(field, dict):
            continue
        designation, value = field.get("designation"), _scalar(field.get("value"))
        if designation in ("username", "password") and designation in builder.keys:
            builder.set(str(designation), value)
        elif value and field.get("fieldType") != "B":  # "B": a button on the sign-in form
            name = str(field.get("name") or field.get("id") or "Field")
            builder.custom(name, value, "hidden" if field.get("fieldType") == "P" else None)
    urls = [u.get("url") for u in overview.get("urls") or [] if isinstance(u, dict) and u.get("url")]
    if not urls and isinstance(overview.get("url"), str) and overview["url"]:
        urls = [overview["url"]]
    for n, url in enumerate(urls):
        if n == 0 and "website" in builder.keys:
            builder.set("website", url)
        else:
            builder.custom("Website" if n == 0 else f"Website {n + 1}", url, "url")
    if type_key == "login" and details.get("password") and "password" not in builder.data["fields"]:
        builder.set("password", _scalar(details.get("password")))  # the "Password" category
    _section_fields(builder, details, type_key)
    builder.note(details.get("notesPlain"))
    builder.tag(vault, *(t for t in overview.get("tags") or [] if isinstance(t, str)))
    if raw.get("state") == "archived":
        builder.tag("Archived")
    fav = raw.get("favIndex")
    builder.data["favorite"] = isinstance(fav, int) and not isinstance(fav, bool) and fav > 0
    created, updated = raw.get("createdAt"), raw.get("updatedAt")
    builder.times(
        from_unix(created) if isinstance(created, int) and not isinstance(created, bool) else None,
        from_unix(updated) if isinstance(updated, int) and not isinstance(updated, bool) else None,
    )
    for entry in details.get("passwordHistory") or []:
        if isinstance(entry, dict):
            when = entry.get("time")
            builder.history(
                _scalar(entry.get("value")),
                from_unix(when) if isinstance(when, int) and not isinstance(when, bool) else None,
            )
    if isinstance(details.get("documentAttributes"), dict):
        name = details["documentAttributes"].get("fileName") or "a file"
        builder.problems.append(f"its attached file {name!r} is not imported (files are not items)")
    return builder


def read_1pux(data: bytes) -> ImportRead:
    doc = _export_data(data)
    if not isinstance(doc, dict) or not isinstance(doc.get("accounts"), list):
        raise CorruptFile(f"not a 1PUX export: {DATA_NAME} has no list of accounts")
    result = ImportRead("1password-1pux")
    for account in doc["accounts"]:
        for vault in (account.get("vaults") or []) if isinstance(account, dict) else []:
            if not isinstance(vault, dict):
                continue
            attrs = _obj(vault.get("attrs"))
            vault_name = str(attrs.get("name") or "")
            for index, raw in enumerate(vault.get("items") or [], 1):
                where = f"vault {vault_name!r} item {index}"
                if not isinstance(raw, dict):
                    result.skipped.append(Skipped(where, "not an object"))
                    continue
                if raw.get("state") == "deleted":
                    continue
                try:
                    builder = _item(raw, vault_name)
                    result.items.append(builder.build())
                except (ItemError, TypeError, AttributeError, ValueError) as exc:
                    result.skipped.append(Skipped(where, f"malformed: {exc}"))
                    continue
                for problem in builder.problems:
                    result.skipped.append(Skipped(f"{where} {builder.data['title']!r}", problem))
    return result


# --- CSV --------------------------------------------------------------------------------

_CSV_KNOWN: Final = {
    "title", "url", "website", "username", "password", "otpauth", "one-time password",
    "favorite", "archived", "tags", "notes", "notesplain",
}  # fmt: skip


def read_csv(data: bytes) -> ImportRead:
    result = ImportRead("1password-csv")
    header, body = rows(decode(data))
    for row in body:
        title, url = row.get("title"), row.get("url", "website")
        username = row.get("username")
        builder = ItemBuilder("login", title, source_format="1password-csv",
                              source_id=fingerprint(title, url, username))  # fmt: skip
        builder.set("website", url)
        builder.set("username", username)
        builder.set("password", row.get("password"))
        builder.set("one_time_password", row.get("otpauth", "one-time password"))
        builder.note(row.get("notes", "notesplain"))
        builder.tag(*(t.strip() for t in row.get("tags").split(",")))
        builder.data["favorite"] = row.get("favorite").strip().lower() in ("true", "1", "yes")
        if row.get("archived").strip().lower() in ("true", "1", "yes"):
            builder.tag("Archived")
        for name in header:
            if name and name not in _CSV_KNOWN:
                builder.custom(name.capitalize(), row.cells.get(name, ""))
        try:
            result.items.append(builder.build())
        except ItemError as exc:
            result.skipped.append(Skipped(f"line {row.line}", str(exc)))
            continue
        for problem in builder.problems:
            result.skipped.append(Skipped(f"line {row.line}", problem))
    return result
