"""A malicious server (the lying proxy in front of the real one, over real sockets) against
the sync engine (issue 10): it serves an old record again, deletes with a plain tombstone,
damages an envelope, and acknowledges a push it drops. Each attack is detected and reported,
naming the item (and the device), and no device loses data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.liar import LyingProxy
from tests.support.server import ServerHandle

from safehold.client.account import AccountService, Unlocked
from safehold.client.settings import ClientSettings
from safehold.crypto import KdfParams

EMAIL = "ann@example.com"
PW = "correct horse battery staple"


def _item(title: str, password: str = "") -> dict[str, Any]:
    return {"v": 1, "type": "login", "title": title, "fields": {"password": password}, "custom": [],
            "tags": [], "favorite": False, "notes": "", "created": "2024-01-01T00:00:00Z",
            "modified": "2024-01-01T00:00:00Z", "history": []}  # fmt: skip


def _service(tmp_path: Path, name: str, url: str) -> AccountService:
    settings = ClientSettings(home=tmp_path / name, server=url, kdf_floor=KdfParams(1, 8, 1), keystore="file",
                              device_name=name, runtime_dir=tmp_path / "run")  # fmt: skip
    return AccountService(settings)


def _passwords(d: Unlocked) -> dict[str, str]:
    return {it.title: it.data["fields"]["password"] for it in d.vault.all()}


def test_every_lie_is_detected_and_nothing_is_lost(server: ServerHandle, tmp_path: Path) -> None:
    with LyingProxy(server.base_url).running() as proxy:
        a, key = _service(tmp_path, "a", proxy.base_url).signup(EMAIL, PW)
        b = _service(tmp_path, "b", proxy.base_url).login(EMAIL, PW, key)
        bank = a.vault.put(_item("Bank", "old"))
        note = a.vault.put(_item("Note", "n"))
        a.sync(), b.sync()
        a.vault.put(_item("Bank", "new"), bank.item_id)
        a.sync(), b.sync()

        # Rollback: the old password served again as if it were new.
        proxy.rollback(bank.item_id, 1)
        report = b.sync()
        assert [(r.item_id, r.reason.split(":")[0]) for r in report.refused] == [(bank.item_id, "rollback")]
        assert _passwords(b)["Bank"] == "new"

        # A deletion storage made up: v1's plain tombstone, nothing sealed.
        proxy.plain_tombstone(note.item_id, 2)
        report = b.sync()
        assert [r.item_id for r in report.refused] == [note.item_id]
        assert "Note" in _passwords(b)

        # A damaged envelope: quarantined, reported, the rest goes on, the old copy stays.
        proxy.garble = {bank.item_id}
        a.vault.put(_item("Bank", "newest"), bank.item_id)
        a.vault.put(_item("Other", "o"))
        a.sync()
        report = b.sync()
        assert [q.item_id for q in report.quarantined] == [bank.item_id]
        assert _passwords(b) == {"Bank": "new", "Note": "n", "Other": "o"}
        proxy.garble = set()
        a.vault.put(_item("Bank", "fixed"), bank.item_id)
        a.sync()
        assert b.sync().quarantined == []
        assert _passwords(b)["Bank"] == "fixed"

        # A push acknowledged and dropped: the next write of the same device names it.
        proxy.drop_pushes = True
        lost = a.vault.put(_item("Lost", "l"))
        assert a.sync().pushed == 1
        proxy.drop_pushes = False
        a.vault.put(_item("After", "x"))
        a.sync()
        c = _service(tmp_path, "c", proxy.base_url).login(EMAIL, PW, key)
        for device in (b, c):
            gaps = device.sync().gaps
            assert [(g.device, g.item_id) for g in gaps] == [(a.store.device_id, lost.item_id)]
        assert _passwords(a)["Lost"] == "l"  # still on the device that wrote it
        for device in (a, b, c):
            device.close()
