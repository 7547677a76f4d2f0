"""Bitwarden's exports: JSON (unencrypted, and "password protected") and CSV.

JSON items have ``type`` 1 login, 2 secure note, 3 card, 4 identity, 5 SSH key; folders
become tags; custom fields keep their kind (0 text, 1 hidden, 2 boolean, 3 linked: a linked
field names another field, so its value is read from there); password history is kept.
A password-protected export (``"encrypted": true, "passwordProtected": true``) is opened
with its password: PBKDF2-SHA256 or Argon2id from the file's ``kdfType`` and parameters
(refused below a floor and above ceilings before any work), then AES-256-CBC with
HMAC-SHA256 ("type 2" strings), all from pyca/cryptography.
CSV: ``folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,
login_password,login_totp``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from safehold.client.items import ItemError

from ._base import CorruptFile, ImportRead, ItemBuilder, Skipped, WrongFilePassword, fingerprint, from_iso
from ._csv import decode, rows

#: Bitwarden's own minimums (its importer refuses less) and our ceilings.
PBKDF2_MIN, PBKDF2_MAX = 5_000, 10_000_000
ARGON2_T = (2, 20)
ARGON2_M_MIB = (16, 1024)
ARGON2_P = (1, 16)

_CARD = {"cardholderName": "name_on_card", "number": "card_number", "code": "security_code"}
_IDENTITY = {
    "firstName": "first_name", "middleName": "middle_name", "lastName": "last_name",
    "company": "company", "email": "email", "phone": "home_phone", "username": "nickname",
}  # fmt: skip
_IDENTITY_EXTRA = ("title", "address1", "address2", "address3", "city", "state", "postalCode",
                   "country", "ssn", "passportNumber", "licenseNumber")  # fmt: skip


# --- password-protected exports ---------------------------------------------------------


def _check_kdf(doc: dict[str, Any]) -> tuple[int, int, int | None, int | None]:
    kind, iterations = doc.get("kdfType"), doc.get("kdfIterations")
    memory, parallelism = doc.get("kdfMemory"), doc.get("kdfParallelism")
    if type(iterations) is not int:
        raise CorruptFile("the export's key-derivation settings are missing")
    if kind == 0:
        if not PBKDF2_MIN <= iterations <= PBKDF2_MAX:
            raise CorruptFile(
                f"PBKDF2 with {iterations} iterations is refused (from {PBKDF2_MIN} to {PBKDF2_MAX})"
            )
        return 0, iterations, None, None
    if kind == 1:
        if type(memory) is not int or type(parallelism) is not int:
            raise CorruptFile("the export's Argon2id settings are incomplete")
        if not (ARGON2_T[0] <= iterations <= ARGON2_T[1] and ARGON2_M_MIB[0] <= memory <= ARGON2_M_MIB[1]
                and ARGON2_P[0] <= parallelism <= ARGON2_P[1]):  # fmt: skip
            raise CorruptFile("the export's Argon2id settings are outside what Safehold accepts")
        return 1, iterations, memory, parallelism
    raise CorruptFile(f"unknown key-derivation type {kind!r}")


def _keys(password: str, salt: bytes, doc: dict[str, Any]) -> tuple[bytes, bytes]:
    kind, iterations, memory, parallelism = _check_kdf(doc)
    if kind == 0:
        master = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(password.encode())
    else:
        assert memory is not None and parallelism is not None
        # Bitwarden hashes the salt with SHA-256 for Argon2id.
        master = Argon2id(
            salt=hashlib.sha256(salt).digest(), length=32, iterations=iterations,
            lanes=parallelism, memory_cost=memory * 1024,
        ).derive(password.encode())  # fmt: skip
    enc = HKDFExpand(hashes.SHA256(), 32, b"enc").derive(master)
    mac = HKDFExpand(hashes.SHA256(), 32, b"mac").derive(master)
    return enc, mac


def _decrypt(text: str, enc: bytes, mac: bytes) -> bytes:
    kind, _, rest = text.partition(".")
    parts = rest.split("|")
    if kind != "2" or len(parts) != 3:
        raise CorruptFile("the export's encrypted data is not in Bitwarden's format")
    try:
        iv, data, tag = (base64.b64decode(p, validate=True) for p in parts)
    except ValueError:
        raise CorruptFile("the export's encrypted data is not valid base64") from None
    expected = hmac.new(mac, iv + data, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, tag):
        raise WrongFilePassword("that is not the export's password")
    decryptor = Cipher(algorithms.AES(enc), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise CorruptFile("the export's encrypted data is damaged") from None


def _open_protected(doc: dict[str, Any], password: str | None) -> dict[str, Any]:
    if password is None:
        raise WrongFilePassword("this Bitwarden export is password protected: give its password")
    salt = doc.get("salt")
    if not isinstance(salt, str) or not isinstance(doc.get("data"), str):
        raise CorruptFile("the export's salt or data is missing")
    enc, mac = _keys(password, salt.encode(), doc)
    validation = doc.get("encKeyValidation_DO_NOT_EDIT")
    if isinstance(validation, str):
        _decrypt(validation, enc, mac)  # a wrong password fails here, before the data
    plain = _decrypt(doc["data"], enc, mac)
    try:
        inner = json.loads(plain)
    except ValueError:
        raise CorruptFile("the export's decrypted data is not JSON") from None
    if not isinstance(inner, dict):
        raise CorruptFile("the export's decrypted data is not a Bitwarden export")
    return inner


# --- items ------------------------------------------------------------------------------


def _fields(builder: ItemBuilder, raw: Any, item: dict[str, Any]) -> None:
    for field in raw if isinstance(raw, list) else []:
        if not isinstance(field, dict):
            continue
        name = str(field.get("name") or "Field")
        value = field.get("value")
        if name == TAGS_FIELD and isinstance(value, str) and _tags(builder, value):
            continue
        kind = field.get("type")
        if kind == 3:  # linked: names another field of the item, whose value it shows
            linked = field.get("linkedId")
            value = {
                100: (item.get("login") or {}).get("username"),
                101: (item.get("login") or {}).get("password"),
            }.get(linked if isinstance(linked, int) else -1)
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        builder.custom(name, value if isinstance(value, str) else None, "hidden" if kind == 1 else None)


#: Safehold's bitwarden-json export keeps an item's tags beyond its folder here.
TAGS_FIELD = "Safehold tags"


def _tags(builder: ItemBuilder, value: str) -> bool:
    try:
        tags = json.loads(value)
    except ValueError:
        return False
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return False
    builder.tag(*tags)
    return True


def _item(raw: dict[str, Any], folders: dict[str, str], index: int) -> ItemBuilder:
    kind = raw.get("type")
    name = str(raw.get("name") or "")
    source_id = str(raw.get("id") or fingerprint(name, str(index)))
    fmt = "bitwarden-json"
    if kind == 1:
        builder = ItemBuilder("login", name, source_format=fmt, source_id=source_id)
        login = raw.get("login") or {}
        builder.set("username", login.get("username"))
        builder.set("password", login.get("password"))
        builder.set("one_time_password", login.get("totp"))
        uris = [u.get("uri") for u in login.get("uris") or [] if isinstance(u, dict) and u.get("uri")]
        if uris:
            builder.set("website", uris[0])
            for n, uri in enumerate(uris[1:], 2):
                builder.custom(f"Website {n}", uri, "url")
        for entry in raw.get("passwordHistory") or []:
            if isinstance(entry, dict):
                builder.history(entry.get("password"), from_iso(entry.get("lastUsedDate")))
    elif kind == 3:
        builder = ItemBuilder("credit_card", name, source_format=fmt, source_id=source_id)
        card = raw.get("card") or {}
        for bw, key in _CARD.items():
            builder.set(key, card.get(bw))
        month, year = card.get("expMonth") or "", card.get("expYear") or ""
        if month or year:
            builder.set(
                "expiration_date", f"{str(month).zfill(2)}/{year}" if month and year else f"{month}{year}"
            )
        builder.custom("Brand", card.get("brand"))
    elif kind == 4:
        builder = ItemBuilder("identity", name, source_format=fmt, source_id=source_id)
        identity = raw.get("identity") or {}
        for bw, key in _IDENTITY.items():
            builder.set(key, identity.get(bw))
        address = "\n".join(
            str(identity.get(k)) for k in ("address1", "address2", "address3") if identity.get(k)
        )
        builder.set("address", address)
        for extra in _IDENTITY_EXTRA:
            if extra.startswith("address"):
                continue
            builder.custom(extra[0].upper() + extra[1:], identity.get(extra))
    elif kind == 5:
        builder = ItemBuilder("secure_note", name, source_format=fmt, source_id=source_id)
        ssh = raw.get("sshKey") or {}
        builder.custom("Private key", ssh.get("privateKey"), "hidden")
        builder.custom("Public key", ssh.get("publicKey"))
        builder.custom("Fingerprint", ssh.get("keyFingerprint"))
        builder.tag("SSH key")
    else:
        builder = ItemBuilder("secure_note", name, source_format=fmt, source_id=source_id)
    builder.note(raw.get("notes"))
    builder.data["favorite"] = raw.get("favorite") is True
    folder = folders.get(str(raw.get("folderId")))
    builder.tag(folder)
    _fields(builder, raw.get("fields"), raw)
    builder.times(from_iso(raw.get("creationDate")), from_iso(raw.get("revisionDate")))
    return builder


def read_json(data: bytes, password: Callable[[], str] | None = None) -> ImportRead:
    try:
        doc = json.loads(decode(data))
    except ValueError as exc:
        raise CorruptFile(
            f"not valid JSON (line {getattr(exc, 'lineno', '?')}): the file may be truncated"
        ) from None
    if not isinstance(doc, dict):
        raise CorruptFile("not a Bitwarden export: the file is not a JSON object")
    if doc.get("encrypted") is True:
        if doc.get("passwordProtected") is not True:
            raise CorruptFile("this export is encrypted with the Bitwarden account's key; export it as "
                              "'password protected' or unencrypted instead")  # fmt: skip
        doc = _open_protected(doc, password() if password else None)
    result = ImportRead("bitwarden-json")
    folders = {
        str(f.get("id")): str(f.get("name"))
        for f in doc.get("folders") or []
        if isinstance(f, dict) and f.get("name")
    }
    items = doc.get("items")
    if not isinstance(items, list):
        raise CorruptFile("not a Bitwarden export: there is no list of items")
    for index, raw in enumerate(items, 1):
        label = f"item {index}"
        if not isinstance(raw, dict):
            result.skipped.append(Skipped(label, "not an object"))
            continue
        label = f"item {index} {str(raw.get('name') or '')!r}"
        try:
            builder = _item(raw, folders, index)
            result.items.append(builder.build())
        except (ItemError, TypeError, AttributeError) as exc:
            result.skipped.append(Skipped(label, f"malformed: {exc}"))
            continue
        for problem in builder.problems:
            result.skipped.append(Skipped(label, problem))
    return result


def read_csv(data: bytes) -> ImportRead:
    result = ImportRead("bitwarden-csv")
    _, body = rows(decode(data))
    for row in body:
        name = row.get("name")
        kind = row.get("type").lower()
        source_id = fingerprint(name, row.get("login_uri"), row.get("login_username"))
        builder = ItemBuilder("login" if kind == "login" else "secure_note", name,
                              source_format="bitwarden-csv", source_id=source_id)  # fmt: skip
        builder.set("website", row.get("login_uri").split(",")[0])
        builder.set("username", row.get("login_username"))
        builder.set("password", row.get("login_password"))
        builder.set("one_time_password", row.get("login_totp"))
        builder.note(row.get("notes"))
        builder.tag(row.get("folder"))
        builder.data["favorite"] = row.get("favorite") == "1"
        for line in row.get("fields").splitlines():
            label, _, value = line.partition(": ")
            builder.custom(label, value)
        try:
            result.items.append(builder.build())
        except ItemError as exc:
            result.skipped.append(Skipped(f"line {row.line}", str(exc)))
    return result
