"""The recovery code's server side (spec/protocol.md §9.2), on SQLite and PostgreSQL: only a
fresh proof installs a code; the mailbox alone changes nothing; wrong codes are limited like
sign-ins; a recovery keeps the generation and every item and signs every session out as
``recovered``; a reset voids the code; the database holds nothing that opens anything."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.support.accounts import (
    CHEAP,
    Session,
    TestAccount,
    create_items,
    prove,
    reset_body,
    signin,
    signin_raw,
    signup,
    sync_all,
)
from tests.support.server import dump_database, read_eml

from safehold import wire
from safehold.crypto import (
    AccountKey,
    RecoveryCode,
    b64encode,
    int_to_hex,
    recovery_keys,
    seal_recovery,
)

API = wire.API_PREFIX


def _mails(tmp_path: Path, template: str) -> list[Any]:
    found = [read_eml(p) for p in sorted((tmp_path / "outbox").glob("*.eml"))]
    return [m for m in found if m["X-Safehold-Template"] == template]


def set_code(
    api: TestClient, account: TestAccount, session: Session, password: str | None = None
) -> RecoveryCode:
    proof = prove(api, account, password)
    code = RecoveryCode.generate()
    keys = recovery_keys(code, bytes.fromhex(account.account_id))
    wrapped = seal_recovery(keys, account.vault_key, bytes.fromhex(account.account_id), account.generation)
    body = {"login_id": proof.login_id, "A": proof.A, "M1": proof.M1, "wrapped": b64encode(wrapped),
            "auth_hash": keys.auth_hash.hex()}  # fmt: skip
    response = api.put(f"{API}/account/recovery", json=body, headers=session.headers())
    if response.status_code != 200:
        raise AssertionError(response.status_code, response.text)
    return code


def link_token(api: TestClient, tmp_path: Path, email: str) -> str:
    before = len(_mails(tmp_path, "recovery_requested"))
    assert api.post(f"{API}/recover", json={"email": email}).status_code == 202
    mails = _mails(tmp_path, "recovery_requested")
    assert len(mails) == before + 1
    found = re.search(r"/recover/([A-Za-z0-9_-]{20,})", mails[-1].get_body(("plain",)).get_content())
    assert found, "no link in the mail"
    return found.group(1)


def recovery_body(account: TestAccount, code: RecoveryCode, password: str) -> dict[str, Any]:
    """What `safehold recover --link` posts; updates ``account`` to the new password and key."""
    account.account_key = AccountKey.generate()
    account.password = password
    creds = account.credentials()
    ra = recovery_keys(code, bytes.fromhex(account.account_id)).ra
    return {
        "auth": b64encode(ra),
        "kdf_salt": b64encode(creds.kdf_salt),
        "kdf_params": {"t": CHEAP.t, "m_kib": CHEAP.m_kib, "p": CHEAP.p},
        "verifier": int_to_hex(creds.verifier),
        "keyset": b64encode(creds.keyset),
        "hint": None,
    }


Post = Callable[..., Any]


def test_recovery_keeps_generation_and_items_and_signs_everyone_out(
    api: TestClient, tmp_path: Path, api_database_url: str
) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    phone = signin(api, account, device_name="phone")
    create_items(
        api, laptop, account, [{"title": f"item {n}", "password": f"item-secret-{n}"} for n in range(3)]
    )
    code = set_code(api, account, laptop)
    assert api.get(f"{API}/account/recovery", headers=laptop.headers()).json()["exists"] is True
    token = link_token(api, tmp_path, account.email)
    info = api.get(f"{API}/recover/{token}").json()
    assert info["has_code"] and info["generation"] == 1 and info["account_id"] == account.account_id
    ra = b64encode(recovery_keys(code, bytes.fromhex(account.account_id)).ra)
    opened = api.post(f"{API}/recover/{token}/open", json={"auth": ra})
    assert opened.status_code == 200 and len(opened.json()["wrapped"]) == 82
    old_password = account.password
    body = recovery_body(account, code, "a brand new password")
    done = api.post(f"{API}/recover/{token}", json=body)
    assert done.status_code == 200, done.text
    assert done.json()["generation"] == 1
    # The answer was lost and the same keys come again: the same answer, not "used".
    again = api.post(f"{API}/recover/{token}", json=body)
    assert again.status_code == 200 and again.json() == done.json()
    assert len(_mails(tmp_path, "recovery_used")) == 1
    for session in (laptop, phone):
        revoked = api.get(f"{API}/account", headers=session.headers())
        assert revoked.status_code == 401 and revoked.json()["error"]["reason"] == "recovered"
    assert signin_raw(api, account, password=old_password).status_code == 401
    fresh = signin(api, account)
    items, _ = sync_all(api, fresh)
    assert len(items) == 3 and all(account.open(i["item_id"], i["envelope"]) for i in items)
    # Used up: the link, and the code.
    assert (
        api.post(
            f"{API}/recover/{token}", json={"auth": ra, **recovery_body(account, code, "x" * 20)}
        ).status_code
        == 410
    )
    assert api.get(f"{API}/account/recovery", headers=fresh.headers()).json()["exists"] is False
    [used] = _mails(tmp_path, "recovery_used")
    assert used["To"] == account.email
    # Zero knowledge.
    dump = dump_database(api_database_url)
    assert "== recovery_codes" in dump
    for secret in (*account.secrets_to_hide(), code.to_text(), code.secret.hex(), ra, old_password, token):
        assert secret not in dump


def test_the_mailbox_alone_changes_nothing_and_wrong_codes_are_limited(
    make_api: Callable[..., Any], tmp_path: Path
) -> None:
    with make_api(login_free_failures=2) as api:
        account = TestAccount.new()
        laptop = signup(api, account)
        set_code(api, account, laptop)
        token = link_token(api, tmp_path, account.email)
        snapshot = dict(account.__dict__)
        junk = recovery_body(account, RecoveryCode.generate(), "attacker chosen password")
        account.__dict__.update(snapshot)
        statuses = [api.post(f"{API}/recover/{token}", json=junk).status_code for _ in range(3)]
        assert statuses[:2] == [401, 401] and statuses[2] == 429
        wrong = api.post(f"{API}/recover/{token}/open", json={"auth": junk["auth"]})
        assert wrong.status_code == 429 and "retry_after" in wrong.json()["error"]
        # Nothing changed: the session and the password still work.
        assert api.get(f"{API}/account", headers=laptop.headers()).status_code == 200
        assert signin_raw(api, account).status_code == 200


def test_first_wrong_code_answer(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    set_code(api, account, laptop)
    token = link_token(api, tmp_path, account.email)
    wrong = api.post(f"{API}/recover/{token}/open", json={"auth": b64encode(bytes(32))})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "recovery_code_wrong"


def test_only_a_fresh_proof_installs_a_code(api: TestClient) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    with pytest.raises(AssertionError) as refused:
        set_code(api, account, laptop, password="not the password")
    assert refused.value.args[0] == 401
    assert api.get(f"{API}/account/recovery", headers=laptop.headers()).json() == {
        "exists": False,
        "created_at": None,
    }
    proof = prove(api, account)
    body = {"login_id": proof.login_id, "A": proof.A, "M1": proof.M1, "wrapped": b64encode(bytes(60)),
            "auth_hash": "00" * 32}  # fmt: skip
    assert api.put(f"{API}/account/recovery", json=body, headers=laptop.headers()).status_code == 422


def test_a_new_code_replaces_the_old_and_revoke_removes_it(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    first = set_code(api, account, laptop)
    set_code(api, account, laptop)
    token = link_token(api, tmp_path, account.email)
    first_ra = b64encode(recovery_keys(first, bytes.fromhex(account.account_id)).ra)
    assert api.post(f"{API}/recover/{token}/open", json={"auth": first_ra}).status_code == 401
    assert api.delete(f"{API}/account/recovery", headers=laptop.headers()).status_code == 204
    assert api.get(f"{API}/recover/{token}").json()["has_code"] is False
    changed = _mails(tmp_path, "recovery_code_changed")
    assert [m["Subject"] for m in changed][-1] == "Your Safehold recovery code was removed"


def test_a_reset_voids_the_code_and_no_link_is_sent_without_one(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    set_code(api, account, laptop)
    assert api.post(f"{API}/reset", json={"email": account.email}).status_code == 202
    reset_mail = [read_eml(p) for p in sorted((tmp_path / "outbox").glob("*.eml"))]
    reset_token = next(
        m.group(1)
        for mail in reset_mail
        if (m := re.search(r"/reset/([A-Za-z0-9_-]{20,})", mail.get_body(("plain",)).get_content()))
    )
    assert api.post(f"{API}/reset/{reset_token}", json=reset_body(account)).status_code == 200
    assert api.post(f"{API}/recover", json={"email": account.email}).status_code == 202
    mail = _mails(tmp_path, "recovery_requested")[-1]
    assert "no recovery code" in mail.get_body(("plain",)).get_content()
    assert "/recover/" not in mail.get_body(("plain",)).get_content()
    # An unknown address gets the same answer and no mail.
    before = len(_mails(tmp_path, "recovery_requested"))
    assert api.post(f"{API}/recover", json={"email": "ghost@example.test"}).status_code == 202
    assert len(_mails(tmp_path, "recovery_requested")) == before


def test_forged_and_expired_links(make_api: Callable[..., Any], tmp_path: Path) -> None:
    with make_api(reset_token_minutes=0.0001) as api:
        account = TestAccount.new()
        laptop = signup(api, account)
        set_code(api, account, laptop)
        token = link_token(api, tmp_path, account.email)
        expired = api.get(f"{API}/recover/{token}")
        assert expired.status_code == 410 and expired.json()["error"]["code"] == "token_expired"
        forged = api.get(f"{API}/recover/{'x' * 43}")
        assert forged.status_code == 404 and forged.json()["error"]["code"] == "token_invalid"
        # A recovery link is not a reset link.
        assert api.get(f"{API}/reset/{token}").status_code == 404


def test_a_recovery_cancels_a_scheduled_reset(make_api: Callable[..., Any], tmp_path: Path) -> None:
    """The owner recovering with the code proves the account is theirs: a reset someone with
    the mailbox scheduled would otherwise wipe it later."""
    import copy

    with make_api(reset_delay_hours=24) as api:
        account = TestAccount.new()
        laptop = signup(api, account)
        code = set_code(api, account, laptop)
        intruder = copy.deepcopy(account)
        api.post(f"{API}/reset", json={"email": account.email})
        mails = [read_eml(p) for p in sorted((tmp_path / "outbox").glob("*.eml"))]
        token = re.search(r"/reset/([A-Za-z0-9_-]{20,})", mails[-1].get_body(("plain",)).get_content())
        assert token
        scheduled = api.post(f"{API}/reset/{token.group(1)}", json=reset_body(intruder))
        assert scheduled.status_code == 200 and scheduled.json()["scheduled_for"]
        link = link_token(api, tmp_path, account.email)
        done = api.post(f"{API}/recover/{link}", json=recovery_body(account, code, "the owner's own 9"))
        assert done.status_code == 200, done.text
        fresh = signin(api, account)
        assert api.get(f"{API}/account", headers=fresh.headers()).json()["pending_reset"] is None
        [cancelled] = _mails(tmp_path, "reset_cancelled")
        assert "recovered with its recovery code" in cancelled.get_body(("plain",)).get_content()
        assert signin_raw(api, intruder).status_code == 401
