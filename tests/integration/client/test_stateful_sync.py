"""Random interleaved edits, deletes and syncs on three devices (hypothesis stateful test).

Ends with every device identical and every acknowledged edit present, unless a device
replaced or deleted it *after seeing it* (then it was superseded, not lost). Runs against
the in-process server app for speed: about 1,000 operations in all.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import tempfile
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from tests.unit.client._inproc import BASE_URL, inprocess_server

from safehold.client.account import AccountService, Unlocked
from safehold.client.settings import ClientSettings
from safehold.crypto import KdfParams

_stack = contextlib.ExitStack()
_root = Path(tempfile.mkdtemp(prefix="safehold-stateful-"))
_transport: httpx.BaseTransport | None = None
_counter = itertools.count()
FIELDS = ("username", "password", "url")


def transport() -> httpx.BaseTransport:
    global _transport
    if _transport is None:
        _transport = _stack.enter_context(inprocess_server(_root))
        atexit.register(_stack.close)
    return _transport


def service(home: Path, name: str) -> AccountService:
    settings = ClientSettings(
        home=home,
        server=BASE_URL,
        kdf_floor=KdfParams(1, 8, 1),
        keystore="file",
        device_name=name,
        runtime_dir=home / "run",
    )
    return AccountService(settings, transport=transport())


class ThreeDevices(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        run = next(_counter)
        email = f"user{run}@example.com"
        home = _root / f"run{run}"
        first, key = service(home / "a", "a").signup(email, "pw")
        self.devices: list[Unlocked] = [first] + [
            service(home / n, n).login(email, "pw", key) for n in ("b", "c")
        ]
        self.values = itertools.count()
        self.written: set[str] = set()
        self.superseded: set[str] = set()

    def _items(self, d: int) -> list[tuple[str, dict[str, Any]]]:
        return [(it.item_id, it.data) for it in self.devices[d].vault.all()]

    @rule(d=st.integers(0, 2))
    def add(self, d: int) -> None:
        value = f"v{next(self.values)}"
        self.written.add(value)
        data = {
            "v": 1,
            "type": "login",
            "title": f"item {value}",
            "fields": {"username": value},
            "custom": [],
            "tags": [],
            "favorite": False,
            "notes": "",
            "created": "2024-01-01T00:00:00Z",
            "modified": "2024-01-01T00:00:00Z",
            "history": [],
        }
        self.devices[d].vault.put(data)

    @rule(d=st.integers(0, 2), pick=st.integers(0, 1000), field=st.sampled_from(FIELDS))
    def edit(self, d: int, pick: int, field: str) -> None:
        items = self._items(d)
        if not items:
            return
        item_id, data = items[pick % len(items)]
        value = f"v{next(self.values)}"
        old = data["fields"].get(field)
        if old is not None:
            self.superseded.add(old)
        self.written.add(value)
        data = {**data, "fields": {**data["fields"], field: value}}
        self.devices[d].vault.put(data, item_id)

    @rule(d=st.integers(0, 2), pick=st.integers(0, 1000))
    def delete(self, d: int, pick: int) -> None:
        items = self._items(d)
        if not items:
            return
        item_id, data = items[pick % len(items)]
        self.superseded.update(data["fields"].values())
        self.devices[d].vault.delete(item_id)

    @rule(d=st.integers(0, 2))
    def sync(self, d: int) -> None:
        self.devices[d].sync()

    @invariant()
    def outbox_matches_items(self) -> None:
        for device in getattr(self, "devices", []):
            for item_id in device.store.outbox():
                assert device.store.row(item_id) is not None

    def teardown(self) -> None:
        devices = getattr(self, "devices", None)
        if not devices:
            return
        for _ in range(4):
            for device in devices:
                device.sync()
        states = [dict(self._items(d)) for d in range(3)]
        assert states[0] == states[1] == states[2], "devices differ after syncing"
        for device in devices:
            assert device.store.outbox() == []
        present = {v for data in states[0].values() for v in data["fields"].values()}
        lost = self.written - self.superseded - present
        assert not lost, f"acknowledged edits lost: {sorted(lost)}"
        for device in devices:
            device.close()


ThreeDevices.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestThreeDevices = ThreeDevices.TestCase
