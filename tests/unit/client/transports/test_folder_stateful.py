"""Three devices on three folders joined by a sync service that copies files late, out of
order, half at a time and as conflicted copies: when it has settled, every device sees the
same current record of every item, and every accepted write is present or superseded by a
later write of the same item."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule
from tests.support.syncservice import SyncService
from tests.unit.client.transports._folder import Device, item, new_vault

from safehold.client.transport import Record

IDS = ("aa01", "bb02", "cc03")


class ThreeFolders(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="safehold-folder-"))
        folders = [self.root / n for n in IDS]
        new_vault(folders[0])
        for f in folders[1:]:
            f.mkdir()
        self.svc = SyncService(folders, rng=random.Random(1))
        self.svc.settle()
        self.svc.truncate_rate, self.svc.conflict_rate = 0.3, 0.3
        self.devices = [Device(f, d, compact_after=3) for f, d in zip(folders, IDS, strict=True)]
        self.accepted: list[Record] = []

    @rule(d=st.integers(0, 2), n=st.integers(0, 3))
    def write(self, d: int, n: int) -> None:
        dev = self.devices[d]
        w = dev.write(item(n))
        if dev.push(w) == [True]:
            self.accepted.append(w.record)

    @rule(d=st.integers(0, 2))
    def pull(self, d: int) -> None:
        self.devices[d].pull_all(limit=2)

    @rule(steps=st.integers(1, 6), seed=st.integers(0, 2**16))
    def sync_service(self, steps: int, seed: int) -> None:
        self.svc.rng = random.Random(seed)
        for _ in range(steps):
            if not self.svc.step():
                break

    @precondition(lambda self: bool(self.accepted))
    @rule(d=st.integers(0, 2))
    def compact(self, d: int) -> None:
        self.devices[d].t.compact()

    def teardown(self) -> None:
        try:
            self.svc.settle()
            for dev in self.devices:
                dev.pull_all()
            items = {r.item_id for r in self.accepted}
            for i in items:
                currents = {dev.t.current(i) for dev in self.devices}
                assert len(currents) == 1, f"devices disagree on {i}"
            fresh = Device(self.svc.folders[0], "dd04").pull_all()
            for r in self.accepted:
                cur = self.devices[0].t.current(r.item_id)
                assert cur is not None
                assert r in fresh or cur.revision > r.revision, f"lost {r}"
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


# FOLDER_EXAMPLES raises the number of runs for a longer search by hand.
EXAMPLES = int(os.environ.get("FOLDER_EXAMPLES", "25"))
ThreeFolders.TestCase.settings = settings(max_examples=EXAMPLES, stateful_step_count=25, deadline=None)
test_three_devices_on_three_folders = pytest.mark.slow(ThreeFolders.TestCase)
