"""The recovery code through the in-process server (issue 14 §4, spec/protocol.md §9.2): a
forgotten password without a reset. The same vault key is re-wrapped, so every item stays;
every device is signed out and keeps its data (an unsynced edit included); the code needs
the mailed link and the link needs the code."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.unit.client._inproc import BASE_URL

from safehold.client.account import AccountService, Unlocked
from safehold.client.errors import (
    AccountRecovered,
    AuthFailed,
    KeyRotated,
    RecoveryCodeRejected,
    RecoveryLinkUnusable,
    UsageError,
)
from safehold.client.recovery import (
    RecoveryLink,
    make_recovery_code,
    parse_recovery_link,
    recover,
    recovery_info,
    recovery_status,
    request_recovery,
    revoke_recovery_code,
)
from safehold.crypto import RecoveryCode

EMAIL = "ann@example.com"
PW = "correct horse"
NEW_PW = "copper meadow quietly 83"
Make = Callable[[str], AccountService]
_LINK = re.compile(r"/recover/([A-Za-z0-9_-]{20,})")


def _item(title: str) -> dict[str, Any]:
    return {"v": 1, "type": "login", "title": title, "fields": {"password": title}, "custom": [],
            "tags": [], "favorite": False, "notes": "", "created": "2024-01-01T00:00:00Z",
            "modified": "2024-01-01T00:00:00Z", "history": []}  # fmt: skip


def _titles(device: Unlocked) -> set[str]:
    return {it.title for it in device.vault.all()}


def _mails(outbox: Path, template: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["X-Safehold-Template"] == template:
            found.append(message)
    return found  # type: ignore[return-value]


def _text(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""  # type: ignore[union-attr]


def _link(service: AccountService, outbox: Path) -> RecoveryLink:
    before = len(_mails(outbox, "recovery_requested"))
    request_recovery(service, EMAIL, BASE_URL)
    mails = _mails(outbox, "recovery_requested")
    assert len(mails) == before + 1
    found = _LINK.search(_text(mails[-1]))
    assert found is not None, _text(mails[-1])
    return RecoveryLink(BASE_URL, found.group(1))


def test_recovery_keeps_every_item_and_devices_keep_their_data(make_service: Make, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    a, old_key = make_service("d0").signup(EMAIL, PW)
    b = make_service("d1").login(EMAIL, PW, old_key)
    a.vault.put(_item("GitHub"))
    a.sync(), b.sync()
    b.vault.put(_item("Unsynced on B"))
    vk = a.vk
    code = make_recovery_code(a.service, a, PW)
    assert recovery_status(a).exists
    assert _mails(outbox, "recovery_code_changed")
    # Somebody forgot the password: a new device, the code and the mailbox.
    c = make_service("d2")
    link = _link(c, outbox)
    info = recovery_info(c, link)
    assert info.has_code and info.email == EMAIL and info.generation == 1
    with pytest.raises(RecoveryCodeRejected):
        recover(c, link, info, RecoveryCode.generate(), NEW_PW, None)
    # The code without the link (a made-up token) is not enough.
    with pytest.raises(RecoveryLinkUnusable):
        recover(c, RecoveryLink(BASE_URL, "x" * 43), info, code, NEW_PW, None)
    new_key, answer = recover(c, link, info, code, NEW_PW, "new hint")
    assert answer.generation == 1 and new_key != old_key
    assert _mails(outbox, "recovery_used")
    with pytest.raises(RecoveryLinkUnusable) as used:
        recover(c, link, info, code, NEW_PW, None)
    assert used.value.reason == "used"
    # The new device signs in with the new password and key: the same vault key, every item.
    fresh = c.login(EMAIL, NEW_PW, new_key)
    fresh.sync()
    assert fresh.vk == vk and _titles(fresh) == {"GitHub"}
    # A and B are signed out with the reason and keep everything.
    with pytest.raises(AccountRecovered):
        a.sync()
    with pytest.raises(KeyRotated):
        b.sync()
    a.close(), b.close()
    with pytest.raises(AuthFailed):
        make_service("d1").login(EMAIL, PW, old_key)
    back = make_service("d1").login(EMAIL, NEW_PW, new_key)
    assert "Unsynced on B" in _titles(back) and back.store.outbox() != []
    back.sync()
    assert _titles(back) == {"GitHub", "Unsynced on B"}
    # The code is used up: a new link request says there is none.
    request_recovery(c, EMAIL, BASE_URL)
    assert "no recovery code" in _text(_mails(outbox, "recovery_requested")[-1])


def test_a_new_code_replaces_the_old_one_and_revoke_removes_it(make_service: Make, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    a, _ = make_service("d0").signup(EMAIL, PW)
    first = make_recovery_code(a.service, a, PW)
    second = make_recovery_code(a.service, a, PW)
    c = make_service("d2")
    link = _link(c, outbox)
    info = recovery_info(c, link)
    with pytest.raises(RecoveryCodeRejected):
        recover(c, link, info, first, NEW_PW, None)
    revoke_recovery_code(a)
    assert not recovery_status(a).exists
    with pytest.raises(RecoveryCodeRejected):
        recover(c, link, info, second, NEW_PW, None)
    # Nothing changed: the old password still unlocks.
    a.close()
    assert make_service("d0").unlock(PW).account_id == info.account_id


def test_making_a_code_needs_the_password(make_service: Make) -> None:
    a, _ = make_service("d0").signup(EMAIL, PW)
    with pytest.raises(AuthFailed):
        make_recovery_code(a.service, a, "wrong password")
    assert not recovery_status(a).exists


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://h.example/reset/" + "x" * 30,
        "https://h.example/recover/short",
        "ftp://h/recover/" + "x" * 30,
    ],
)
def test_recovery_links_are_parsed_strictly(url: str) -> None:
    with pytest.raises(UsageError):
        parse_recovery_link(url)


def test_a_recovery_link_gives_the_server_and_token() -> None:
    link = parse_recovery_link(" https://h.example/safehold/recover/" + "A" * 30 + "\n")
    assert link == RecoveryLink("https://h.example/safehold", "A" * 30)
