"""A fork's loser that a third device builds on before the fork's winner reaches it: three
devices on three folders joined by a sync service, the copies arranged by hand so that the
third device sees only one side of the fork before it edits. The third device's revision
supersedes both fork writes; the winner, whose write was contested, merges its own back in
(client/sync.py), so no acknowledged edit is lost whichever side the third device saw, and
whether the winner hears of the fork before or after the third device's write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.support.engine_world import Device, World, item, world
from tests.support.syncservice import SyncService


@dataclass
class Fork:
    w: World
    service: SyncService
    devices: tuple[Device, Device, Device]
    winner: Device
    loser: Device
    item_id: str

    def folder_of(self, device: Device) -> int:
        return self.devices.index(device)

    def copy(self, source: Device, target: Device, *, only: str | None = None) -> None:
        """Let the sync service copy ``source``'s folder into ``target``'s (only the files
        naming ``only``, when given)."""
        i, j = self.folder_of(source), self.folder_of(target)
        for a, b, rel in self.service.pending():
            if (a, b) == (i, j) and (only is None or only in rel):
                self.service.copy(a, b, rel)

    def settle(self) -> None:
        for _ in range(4):
            self.w.settle()
            for d in self.devices:
                d.sync()

    def assert_nothing_lost(self) -> None:
        first, second, third = (d.snapshot() for d in self.devices)
        assert first == second == third
        seen = [v["fields"] for v in first.values()]
        for field, value in (("password", "from-winner"), ("username", "from-loser"), ("url", "from-third")):
            assert any(f.get(field) == value for f in seen), (field, seen)


@contextmanager
def forked(tmp_path: Path) -> Iterator[Fork]:
    """Three devices on three folders, one item; the first two edit it apart (a fork at
    revision 2: the larger (device, seq) wins everywhere). Nothing copied after that yet."""
    with world("folder", tmp_path, separate=True) as w:
        devices = (w.device("a"), w.device("b"), w.device("c"))
        stored = devices[0].vault.put(item("X", username="u0", password="p0", url="w0"))
        devices[0].sync()
        w.settle()
        devices[1].sync(), devices[2].sync()
        winner, loser = sorted(devices[:2], key=lambda d: d.device_id, reverse=True)
        winner.vault.put(item("X", username="u0", password="from-winner", url="w0"), stored.item_id)
        loser.vault.put(item("X", username="from-loser", password="p0", url="w0"), stored.item_id)
        winner.sync(), loser.sync()
        assert w.service is not None
        yield Fork(w, w.service, devices, winner, loser, stored.item_id)


@pytest.mark.parametrize("built_on", ["loser", "winner"])
def test_a_third_device_building_on_either_side_of_a_fork_loses_no_edit(
    tmp_path: Path, built_on: str
) -> None:
    with forked(tmp_path) as f:
        third = f.devices[2]
        seen = f.loser if built_on == "loser" else f.winner
        f.copy(seen, third)  # only that side reaches the third device, which edits on top of it
        third.sync()
        fields = third.titles()["X"]["fields"]
        third.vault.put(item("X", **{**fields, "url": "from-third"}), f.item_id)
        third.sync()
        f.settle()
        f.assert_nothing_lost()


def test_the_winner_hearing_of_the_fork_only_after_the_third_write_keeps_its_edit(tmp_path: Path) -> None:
    """The third device's write reaches the winner before the loser's does: the winner never
    saw the fork when it took the later revision. When the loser's write arrives, late, the
    winner keeps its own write as a conflict copy (the item no longer holds its edit)."""
    with forked(tmp_path) as f:
        third = f.devices[2]
        f.copy(f.loser, third)
        third.sync()
        third.vault.put(item("X", username="from-loser", password="p0", url="from-third"), f.item_id)
        third.sync()
        f.copy(third, f.winner, only=third.device_id)  # the third device's own files only
        f.winner.sync()
        assert f.winner.titles()["X"]["fields"]["url"] == "from-third"
        f.settle()
        f.assert_nothing_lost()
