"""Random interleaved edits, deletes and syncs on three devices.

Ends with every device identical and every acknowledged edit present, unless a device
replaced or deleted it *after seeing it* (then it was superseded, not lost). The operations
include conflicting edits (the same field of the same item on two devices before either
syncs) and deletes against edits. Runs against the in-process server app for speed.

Two drivers share the machine: hypothesis explores many short runs (and shrinks failures),
and a seeded driver makes one long run of more than 1,000 operations on the same three
devices, as the issue asks.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import random
import tempfile
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from tests.unit.client._inproc import BASE_URL, inprocess_server
from tests.unit.client._passwords import PASSWORD

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
        kdf_floor=KdfParams(1, 8, 1), test_only_insecure_signup_kdf=KdfParams(1, 8, 1),
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
        first, key = service(home / "a", "a").signup(email, PASSWORD)
        self.devices: list[Unlocked] = [first] + [
            service(home / n, n).login(email, PASSWORD, key) for n in ("b", "c")
        ]
        self.values = itertools.count()
        self.written: set[str] = set()
        self.superseded: set[str] = set()
        #: Operations run, by kind (the seeded driver checks it made enough of each).
        self.ops: dict[str, int] = {}

    def _count(self, kind: str) -> None:
        self.ops[kind] = self.ops.get(kind, 0) + 1

    def _items(self, d: int) -> list[tuple[str, dict[str, Any]]]:
        return [(it.item_id, it.data) for it in self.devices[d].vault.all()]

    @rule(d=st.integers(0, 2))
    def add(self, d: int) -> None:
        self._count("add")
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
        self._edit(d, item_id, data, field)

    def _edit(self, d: int, item_id: str, data: dict[str, Any], field: str) -> None:
        self._count("edit")
        value = f"v{next(self.values)}"
        old = data["fields"].get(field)
        if old is not None:
            self.superseded.add(old)
        self.written.add(value)
        data = {**data, "fields": {**data["fields"], field: value}}
        self.devices[d].vault.put(data, item_id)

    def _shared(self, d1: int, d2: int) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """Items both devices hold: ``(item_id, data on d1, data on d2)``."""
        second = dict(self._items(d2))
        return [(i, data, second[i]) for i, data in self._items(d1) if i in second]

    @rule(
        d1=st.integers(0, 2), step=st.integers(1, 2), pick=st.integers(0, 1000), field=st.sampled_from(FIELDS)
    )
    def conflicting_edits(self, d1: int, step: int, pick: int, field: str) -> None:
        """The same field of the same item edited on two devices before either syncs."""
        d2 = (d1 + step) % 3
        shared = self._shared(d1, d2)
        if not shared:
            return
        self._count("conflicting_edits")
        item_id, first, second = shared[pick % len(shared)]
        self._edit(d1, item_id, first, field)
        self._edit(d2, item_id, second, field)

    @rule(d1=st.integers(0, 2), step=st.integers(1, 2), pick=st.integers(0, 1000))
    def delete_while_editing(self, d1: int, step: int, pick: int) -> None:
        """One device deletes an item another is editing."""
        d2 = (d1 + step) % 3
        shared = self._shared(d1, d2)
        if not shared:
            return
        self._count("delete_while_editing")
        item_id, first, second = shared[pick % len(shared)]
        self.superseded.update(first["fields"].values())
        self.devices[d1].vault.delete(item_id)
        self._edit(d2, item_id, second, "password")

    @rule(d=st.integers(0, 2), pick=st.integers(0, 1000))
    def delete(self, d: int, pick: int) -> None:
        items = self._items(d)
        if not items:
            return
        item_id, data = items[pick % len(items)]
        self._count("delete")
        self.superseded.update(data["fields"].values())
        self.devices[d].vault.delete(item_id)

    @rule(d=st.integers(0, 2))
    def sync(self, d: int) -> None:
        self._count("sync")
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
    max_examples=15,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestThreeDevices = ThreeDevices.TestCase

#: The seeded run: how many operations, and how often each kind is drawn.
LONG_RUN = 1200
WEIGHTS = {
    "add": 18,
    "edit": 27,
    "conflicting_edits": 10,
    "delete_while_editing": 5,
    "delete": 10,
    "sync": 30,
}


def test_one_long_seeded_run_of_more_than_a_thousand_operations() -> None:
    rng = random.Random(20261125)
    machine = ThreeDevices()
    machine.start()
    kinds = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in kinds]
    for _ in range(LONG_RUN):
        kind = rng.choices(kinds, weights)[0]
        d, step, pick = rng.randrange(3), rng.randrange(1, 3), rng.randrange(1000)
        field = rng.choice(FIELDS)
        if kind == "add":
            machine.add(d)
        elif kind == "edit":
            machine.edit(d, pick, field)
        elif kind == "conflicting_edits":
            machine.conflicting_edits(d, step, pick, field)
        elif kind == "delete_while_editing":
            machine.delete_while_editing(d, step, pick)
        elif kind == "delete":
            machine.delete(d, pick)
        else:
            machine.sync(d)
        machine.outbox_matches_items()
    done = sum(machine.ops.values())
    assert done >= 1000, machine.ops
    assert machine.ops.get("conflicting_edits", 0) >= 50 and machine.ops.get("delete_while_editing", 0) >= 20
    conflicts_before = sum(len(device.store.conflicts()) for device in machine.devices)
    machine.teardown()  # syncs everything, then checks convergence and that nothing was lost
    assert conflicts_before > 0  # the conflicting edits really conflicted
