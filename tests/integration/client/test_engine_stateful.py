"""Three devices on each transport, random edits, deletes and syncs, propagation delays and
lost answers (issue 10, tests): every run ends with all devices identical, every
acknowledged edit present, and nothing refused, quarantined or withheld (storage was honest).

Each edit adds a field of its own (a unique token) to an item, so concurrent edits of one
item merge, and a token is *present* if any item of the final vault holds it (a conflict
copy counts). A token is only allowed to vanish when a device deleted its item after seeing
it. Folder runs give each device a folder of its own, joined by a sync service that copies
files one at a time, late, out of order, half-written or as conflicted copies.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from tests.support.engine_world import Device, World, item
from tests.support.server import run_server

from safehold.client.sync import SyncReport
from safehold.client.transport import StorageUnavailable

N = 3
ITEMS = 4


def _tokens(data: dict[str, Any]) -> set[str]:
    return {v for k, v in data.get("fields", {}).items() if k.startswith("t")}


def make_machine(kind: str, root: Path, server_url: str | None) -> type[RuleBasedStateMachine]:
    runs = itertools.count()

    class Devices(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.stack = ExitStack()
            self.w = World(kind, root / f"run{next(runs)}", server_url, separate=kind == "folder")
            self.stack.callback(self.w.close)
            self.d: list[Device] = [self.w.device(n) for n in "abc"]
            self.ids: list[str] = []
            self.tokens = itertools.count()
            #: token -> item, for edits made on a device (acknowledged once it synced).
            self.made: dict[int, list[tuple[str, str]]] = {i: [] for i in range(N)}
            self.acked: dict[str, str] = {}
            self.superseded: set[str] = set()
            self.reports: list[SyncReport] = []

        def teardown(self) -> None:
            self.stack.close()

        def _held(self, i: int) -> dict[str, dict[str, Any]]:
            return self.d[i].snapshot()

        @rule(i=st.integers(0, N - 1), n=st.integers(0, ITEMS - 1), retitle=st.booleans())
        def edit(self, i: int, n: int, retitle: bool) -> None:
            token = f"v{next(self.tokens)}"
            held = self._held(i)
            if n < len(self.ids) and self.ids[n] in held:
                item_id = self.ids[n]
                data = dict(held[item_id])
                data["fields"] = {**data["fields"], f"t{token}": token}
                if retitle:
                    data["title"] = f"Item {n} {token}"
                self.d[i].vault.put(data, item_id)
            elif n >= len(self.ids):
                item_id = self.d[i].vault.put(item(f"Item {len(self.ids)}", **{f"t{token}": token})).item_id
                self.ids.append(item_id)
            else:
                return
            self.made[i].append((token, item_id))

        @rule(i=st.integers(0, N - 1), n=st.integers(0, ITEMS - 1))
        def delete(self, i: int, n: int) -> None:
            if n >= len(self.ids):
                return
            held = self._held(i)
            if self.ids[n] in held:
                self.superseded |= _tokens(held[self.ids[n]])
                self.d[i].vault.delete(self.ids[n])

        @rule(i=st.integers(0, N - 1), lose=st.booleans())
        def sync(self, i: int, lose: bool) -> None:
            dev = self.d[i]
            dev.transport.lose_answers = lose
            try:
                self.reports.append(dev.sync())
            except StorageUnavailable:
                assert lose
            finally:
                dev.transport.lose_answers = False
            for token, item_id in self.made[i]:
                if item_id not in dev.store.outbox() or not lose:
                    self.acked[token] = item_id
            self.made[i] = [(t, it) for t, it in self.made[i] if t not in self.acked]

        @precondition(lambda self: self.w.service is not None)
        @rule(steps=st.integers(1, 6))
        def propagate(self, steps: int) -> None:
            assert self.w.service is not None
            for _ in range(steps):
                if not self.w.service.step():
                    break

        @invariant()
        def nothing_refused(self) -> None:
            for r in self.reports:
                assert r.refused == [] and r.quarantined == [], (r.refused, r.quarantined)

        def settle(self) -> None:
            for _ in range(12):
                self.w.settle()
                for dev in self.d:
                    self.reports.append(dev.sync())
                self.w.settle()
                if all(not dev.store.outbox() for dev in self.d):
                    snaps = [dev.snapshot() for dev in self.d]
                    if all(s == snaps[0] for s in snaps):
                        break
            for dev in self.d:  # one more pass: nothing left to do anywhere
                self.reports.append(dev.sync())
            snaps = [dev.snapshot() for dev in self.d]
            assert all(s == snaps[0] for s in snaps)
            present = set().union(*(_tokens(data) for data in snaps[0].values())) if snaps[0] else set()
            lost = {t for t in self.acked if t not in present and t not in self.superseded}
            assert not lost, lost
            assert [g for r in self.reports[-N:] for g in r.gaps] == []
            self.nothing_refused()

    return Devices


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_server(tmp_path_factory.mktemp("stateful-server")) as server:
        yield server.base_url


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["memory", "folder", "server"])
def test_three_devices_converge_and_lose_nothing(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("server_url") if kind == "server" else None
    machine = make_machine(kind, tmp_path, url)

    class Checked(machine):  # type: ignore[misc,valid-type]
        def teardown(self) -> None:
            try:
                self.settle()
            finally:
                super().teardown()

    examples = {"memory": 25, "folder": 15, "server": 8}[kind]
    run_state_machine_as_test(
        Checked,
        settings=settings(
            max_examples=examples,
            stateful_step_count=25,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            deadline=None,
        ),
    )
