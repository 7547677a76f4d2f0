"""The backup format (spec/backup.md): the three ways to open one, and every way a file
can be wrong, each with its own error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from safehold.crypto import (
    AccountKey,
    KdfParams,
    KdfPolicy,
    b64decode,
    b64encode,
    derive_keys,
    new_kdf_salt,
    new_vault_key,
    seal_keyset,
)
from safehold.interop.backup import (
    AccountState,
    BackupDamaged,
    BackupUnknownVersion,
    BackupWontOpen,
    make_backup,
    open_with_account,
    open_with_password,
    open_with_vault_key,
    read_info,
)

CHEAP = KdfParams(t=1, m_kib=8, p=1)
POLICY = KdfPolicy(floor=CHEAP)
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
EMAIL = "ann@example.com"
PASSWORD = "old password 1"
ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("aa" * 16, {"v": 1, "type": "login", "title": "GitHub", "fields": {"password": "hunter2"},
                 "created": "2024-05-01T12:00:00Z", "modified": "2024-05-01T12:00:00Z"}),
    ("bb" * 16, {"v": 1, "type": "__template__", "title": "Gym", "template": {"v": 1}}),
]  # fmt: skip


@pytest.fixture(scope="module")
def setup() -> tuple[AccountState, bytes, AccountKey]:
    key = AccountKey.generate()
    salt = new_kdf_salt()
    keys = derive_keys(
        email=EMAIL, password=PASSWORD, account_key_secret=key.secret,
        account_id=bytes.fromhex(ACCOUNT_ID), kdf_salt=salt, params=CHEAP, policy=POLICY,
    )  # fmt: skip
    vk = new_vault_key()
    keyset = seal_keyset(keys.auk, vk, bytes.fromhex(ACCOUNT_ID), 1)
    return AccountState(ACCOUNT_ID, EMAIL, 1, salt, CHEAP, keyset), vk, key


def _backup(setup: tuple[AccountState, bytes, AccountKey], password: str | None = None) -> bytes:
    state, vk, _ = setup
    return make_backup(state, vk, ITEMS, password=password, password_params=CHEAP, policy=POLICY)


def test_it_opens_with_the_vault_key(setup: Any) -> None:
    contents = open_with_vault_key(_backup(setup), setup[1])
    assert contents.items == ITEMS and contents.opened_with == "vault-key"
    assert contents.info.items == 1 and contents.info.account_id == ACCOUNT_ID


def test_it_opens_with_the_password_and_account_key_of_its_day(setup: Any) -> None:
    contents = open_with_account(_backup(setup), PASSWORD, setup[2], POLICY)
    assert contents.items == ITEMS


def test_a_password_of_its_own_opens_it_without_any_account(setup: Any) -> None:
    data = _backup(setup, password="backup pw")
    assert read_info(data).has_password
    assert open_with_password(data, "backup pw", POLICY).items == ITEMS
    with pytest.raises(BackupWontOpen):
        open_with_password(data, "wrong", POLICY)
    with pytest.raises(BackupWontOpen):
        open_with_password(_backup(setup), "backup pw", POLICY)  # it has no password wrap


def test_wrong_keys_fail_alike(setup: Any) -> None:
    data = _backup(setup)
    with pytest.raises(BackupWontOpen) as a:
        open_with_vault_key(data, new_vault_key())
    with pytest.raises(BackupWontOpen) as b:
        open_with_account(data, "not the password", setup[2], POLICY)
    assert str(a.value) == str(b.value)


def _edit(data: bytes, change: Any) -> bytes:
    document = json.loads(data)
    change(document)
    return json.dumps(document).encode()


def _flip_payload(document: dict[str, Any]) -> None:
    raw = bytearray(b64decode(document["payload"]))
    raw[-1] ^= 1
    document["payload"] = b64encode(bytes(raw))


def test_tampering_is_refused(setup: Any) -> None:
    data, other = _backup(setup), _backup(setup)
    vk = setup[1]
    for change in (
        _flip_payload,
        lambda d: d.update(wraps=json.loads(other)["wraps"]),  # a wrap from another backup
        lambda d: d.update(generation=2),  # claims that disagree with the contents
        lambda d: d.update(created="2020-01-01T00:00:00Z"),
        lambda d: d.update(payload=json.loads(other)["payload"]),
    ):
        with pytest.raises(BackupWontOpen):
            open_with_vault_key(_edit(data, change), vk)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\xff\xfe", BackupDamaged),
        (b"[]", BackupDamaged),
        (b'{"format": "something-else", "version": 1}', BackupDamaged),
        (b'{"format": "safehold-backup"}', BackupDamaged),
        (b'{"format": "safehold-backup", "version": 2}', BackupUnknownVersion),
        (b'{"format": "safehold-backup", "version": 1, "id": "zz"}', BackupDamaged),
    ],
)
def test_damaged_and_unknown_files_have_their_own_errors(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        read_info(data)


def test_a_password_wrap_below_the_floor_is_refused_before_argon2(setup: Any) -> None:
    data = _backup(setup, password="pw")
    weak = _edit(data, lambda d: d["wraps"][1].update(kdf_params={"t": 1, "m_kib": 8, "p": 1}))
    with pytest.raises(BackupDamaged):
        open_with_password(weak, "pw")  # the default policy's floor


# --- spec/vectors/backup-v1.json -----------------------------------------------------------

_ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]
_VECTORS = json.loads((_ROOT / "spec" / "vectors" / "backup-v1.json").read_text(encoding="utf-8"))
_ERRORS = {"wont_open": BackupWontOpen, "unknown_version": BackupUnknownVersion, "damaged": BackupDamaged}


def test_the_vector_backup_opens_every_way() -> None:
    data = json.dumps(_VECTORS["backup"]).encode()
    expected = [(e["id"], e["item"]) for e in _VECTORS["contents_items"]]
    assert open_with_vault_key(data, bytes.fromhex(_VECTORS["vault_key_hex"])).items == expected
    assert open_with_password(data, _VECTORS["backup_password"], POLICY).items == expected
    key = AccountKey.parse(_VECTORS["account_key"])
    assert open_with_account(data, _VECTORS["password"], key, POLICY).items == expected


@pytest.mark.parametrize("case", _VECTORS["refuse"], ids=lambda c: str(c["name"]))
def test_the_vector_refusals(case: dict[str, Any]) -> None:
    data = json.dumps(case["backup"]).encode()
    with pytest.raises(_ERRORS[case["error"]]):
        open_with_vault_key(data, bytes.fromhex(_VECTORS["vault_key_hex"]))


def test_the_committed_backup_vectors_match_the_code() -> None:
    import subprocess
    import sys

    script = _ROOT / "scripts" / "make_backup_vectors.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
