"""Regenerate spec/vectors/backup-v1.json (spec/backup.md) from fixed inputs.

Provenance: keys, ids, salts and nonces are SHA-256 of labels; the backup is written by
``safehold.interop.backup.make_backup`` with those values fixed, and opened again here
before it is written out. The altered copies are made from it by the changes named.

    python scripts/make_backup_vectors.py            # rewrite the file
    python scripts/make_backup_vectors.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import vectorfile

from safehold.crypto import (
    AccountKey,
    KdfParams,
    KdfPolicy,
    b64decode,
    b64encode,
    derive_keys,
    keyset_ad,
    seal,
)
from safehold.interop.backup import AccountState, make_backup, open_with_account, open_with_password

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "backup-v1.json"
CHEAP = KdfParams(t=1, m_kib=8, p=1)
POLICY = KdfPolicy(floor=CHEAP)


def _h(label: str, n: int = 32) -> bytes:
    return hashlib.sha256(f"safehold backup vector {label}".encode()).digest()[:n]


def build() -> dict[str, Any]:
    account_id = _h("account id", 16).hex()
    key = AccountKey(_h("account key", 16))
    email, password, backup_password = "ann@example.com", "account password", "backup password"
    kdf_salt = _h("kdf salt", 16)
    keys = derive_keys(
        email=email, password=password, account_key_secret=key.secret, account_id=bytes.fromhex(account_id),
        kdf_salt=kdf_salt, params=CHEAP, policy=POLICY,
    )  # fmt: skip
    vk = _h("vault key")
    keyset = seal(keys.auk, vk, keyset_ad(bytes.fromhex(account_id), 1), nonce=_h("keyset nonce", 12))
    state = AccountState(account_id, email, 1, kdf_salt, CHEAP, keyset)
    items = [("aa" * 16, {"v": 1, "type": "secure_note", "title": "Door", "notes": "4711"})]
    fixed = {
        "bk": _h("backup key"), "id": _h("backup id", 16), "salt": _h("password salt", 16),
        "n1": _h("payload nonce", 12), "n2": _h("vault wrap nonce", 12), "n3": _h("password wrap nonce", 12),
    }  # fmt: skip
    data = make_backup(
        state, vk, items, password=backup_password, password_params=CHEAP, policy=POLICY,
        created="2024-05-01T12:00:00Z", _fixed=fixed,
    )  # fmt: skip
    assert open_with_account(data, password, key, POLICY).items == items
    assert open_with_password(data, backup_password, POLICY).items == items
    document = json.loads(data)

    def altered(change: Any) -> dict[str, Any]:
        copy = json.loads(data)
        change(copy)
        return copy

    def flip_payload(d: dict[str, Any]) -> None:
        raw = bytearray(b64decode(d["payload"]))
        raw[40] ^= 0x01
        d["payload"] = b64encode(bytes(raw))

    return {
        "about": "spec/backup.md vectors. 'backup' MUST open with 'vault_key_hex', with "
        "'backup_password' (at the cheap test cost, below the default floor: readers lower "
        "their floor to t=1, m_kib=8, p=1 for these vectors only), and with 'password' + "
        "'account_key', to 'contents_items'. Every 'refuse' case MUST fail to open as 'error' "
        "says ('wont_open': one error for every key, password and tamper failure). Generated "
        "by scripts/make_backup_vectors.py.",
        "account_key": key.to_text(),
        "password": password,
        "backup_password": backup_password,
        "vault_key_hex": vk.hex(),
        "backup": document,
        "contents_items": [{"id": i, "item": item} for i, item in items],
        "refuse": [
            {"name": "a payload byte changed", "error": "wont_open", "backup": altered(flip_payload)},
            {
                "name": "claims that disagree with the contents (generation)",
                "error": "wont_open",
                "backup": altered(lambda d: d.update(generation=2)),
            },
            {
                "name": "claims that disagree with the contents (created)",
                "error": "wont_open",
                "backup": altered(lambda d: d.update(created="2020-01-01T00:00:00Z")),
            },
            {
                "name": "the id changed (every AD binds it)",
                "error": "wont_open",
                "backup": altered(lambda d: d.update(id="00" * 16)),
            },
            {
                "name": "an unknown version",
                "error": "unknown_version",
                "backup": altered(lambda d: d.update(version=2)),
            },
            {"name": "not a backup", "error": "damaged", "backup": altered(lambda d: d.update(format="x"))},
        ],
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    return vectorfile.run(OUT, render, description=__doc__.splitlines()[0], script="make_backup_vectors.py")


if __name__ == "__main__":
    sys.exit(main())
