"""A fork's loser that a third device builds on before the fork's winner reaches it: three
devices on three folders joined by a sync service, the copies arranged by hand so that the
third device sees only one side of the fork before it edits. The third device's revision
supersedes both fork writes; the winner, whose write was contested, merges its own back in
(client/sync.py), so no acknowledged edit is lost whichever side the third device saw."""

from __future__ import annotations

from pathlib import Path

from tests.support.engine_world import item, world


def test_the_winners_edit_survives_a_third_device_building_on_the_loser(tmp_path: Path) -> None:
    with world("folder", tmp_path, separate=True) as w:
        first, second, third = w.device("a"), w.device("b"), w.device("c")
        stored = first.vault.put(item("X", username="u0", password="p0", url="w0"))
        first.sync()
        w.settle()
        second.sync(), third.sync()
        # The fork: both edit revision 1 apart; the larger (device, seq) wins everywhere.
        winner, loser = sorted((first, second), key=lambda d: d.device_id, reverse=True)
        winner.vault.put(item("X", username="u0", password="from-winner", url="w0"), stored.item_id)
        loser.vault.put(item("X", username="from-loser", password="p0", url="w0"), stored.item_id)
        winner.sync(), loser.sync()
        # Only the loser's folder reaches the third device, which edits on top of it.
        service = w.service
        assert service is not None
        source = 0 if loser is first else 1
        for i, j, rel in service.pending():
            if (i, j) == (source, 2):
                service.copy(i, j, rel)
        third.sync()
        assert third.titles()["X"]["fields"]["username"] == "from-loser"
        third.vault.put(item("X", username="from-loser", password="p0", url="from-third"), stored.item_id)
        third.sync()
        for _ in range(4):
            w.settle()
            for d in (first, second, third):
                d.sync()
        # Every acknowledged edit is somewhere on every device: in the item or a conflict copy,
        # and every device holds the same.
        for d in (first, second, third):
            seen = [v["fields"] for v in d.snapshot().values()]
            assert any(f.get("password") == "from-winner" for f in seen), seen
            assert any(f.get("url") == "from-third" for f in seen), seen
            assert any(f.get("username") == "from-loser" for f in seen), seen
        assert first.snapshot() == second.snapshot() == third.snapshot()


def test_a_third_device_building_on_the_winner_loses_nothing_either(tmp_path: Path) -> None:
    """The same, with the winner's folder reaching the third device: its write holds the
    winner's edit already; the winner's merge keeps everything (at worst a copy too many)."""
    with world("folder", tmp_path, separate=True) as w:
        first, second, third = w.device("a"), w.device("b"), w.device("c")
        stored = first.vault.put(item("X", username="u0", password="p0", url="w0"))
        first.sync()
        w.settle()
        second.sync(), third.sync()
        winner, loser = sorted((first, second), key=lambda d: d.device_id, reverse=True)
        winner.vault.put(item("X", username="u0", password="from-winner", url="w0"), stored.item_id)
        loser.vault.put(item("X", username="from-loser", password="p0", url="w0"), stored.item_id)
        winner.sync(), loser.sync()
        service = w.service
        assert service is not None
        source = 0 if winner is first else 1
        for i, j, rel in service.pending():
            if (i, j) == (source, 2):
                service.copy(i, j, rel)
        third.sync()
        third.vault.put(item("X", username="u0", password="from-winner", url="from-third"), stored.item_id)
        third.sync()
        for _ in range(4):
            w.settle()
            for d in (first, second, third):
                d.sync()
        snapshots = [d.snapshot() for d in (first, second, third)]
        assert snapshots[0] == snapshots[1] == snapshots[2]
        seen = [v["fields"] for v in snapshots[0].values()]
        for field, value in (("password", "from-winner"), ("username", "from-loser"), ("url", "from-third")):
            assert any(f.get(field) == value for f in seen), (field, seen)


def test_the_winner_hearing_of_the_fork_only_after_the_third_write_keeps_its_edit(tmp_path: Path) -> None:
    """The third device's write reaches the winner before the loser's does: the winner never
    saw the fork when it took the later revision. When the loser's write arrives, late, the
    winner keeps its own write as a conflict copy (the item no longer holds its edit)."""
    with world("folder", tmp_path, separate=True) as w:
        first, second, third = w.device("a"), w.device("b"), w.device("c")
        stored = first.vault.put(item("X", username="u0", password="p0", url="w0"))
        first.sync()
        w.settle()
        second.sync(), third.sync()
        winner, loser = sorted((first, second), key=lambda d: d.device_id, reverse=True)
        winner.vault.put(item("X", username="u0", password="from-winner", url="w0"), stored.item_id)
        loser.vault.put(item("X", username="from-loser", password="p0", url="w0"), stored.item_id)
        winner.sync(), loser.sync()
        service = w.service
        assert service is not None
        at = {id(first): 0, id(second): 1}
        for i, j, rel in service.pending():
            if (i, j) == (at[id(loser)], 2):
                service.copy(i, j, rel)
        third.sync()
        third.vault.put(item("X", username="from-loser", password="p0", url="from-third"), stored.item_id)
        third.sync()
        # Only the third device's files reach the winner; it takes revision 3.
        for i, j, rel in service.pending():
            if (i, j) == (2, at[id(winner)]) and "/" in rel and third.device_id in rel:
                service.copy(i, j, rel)
        winner.sync()
        assert winner.titles()["X"]["fields"]["url"] == "from-third"
        for _ in range(4):
            w.settle()
            for d in (first, second, third):
                d.sync()
        assert first.snapshot() == second.snapshot() == third.snapshot()
        seen = [v["fields"] for v in first.snapshot().values()]
        for field, value in (("password", "from-winner"), ("username", "from-loser"), ("url", "from-third")):
            assert any(f.get(field) == value for f in seen), (field, seen)
