"""The folder transport at the seam: opaque envelopes, real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.support.syncservice import SyncService, conflicted_name
from tests.unit.client.transports._folder import ACCOUNT, Device, header, item, new_vault

from safehold.client.errors import FolderDamaged, FolderExists, ForeignFolderVault, NotAFolderVault
from safehold.client.folder.header import (
    change_keyset,
    create_folder_vault,
    read_header,
    start_new_generation,
)
from safehold.client.transport import StorageReset, StorageTooLarge, Transport
from safehold.client.transports import folder as folder_mod

A, B, C = "aa01", "bb02", "cc03"


def test_it_is_a_transport(tmp_path: Path) -> None:
    d = Device(new_vault(tmp_path), A)
    assert isinstance(d.t, Transport)
    assert d.t.kind == "folder"
    assert d.t.describe() == str(tmp_path)


def test_push_then_pull_round_trips_opaque_envelopes(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a, b = Device(tmp_path, A), Device(tmp_path, B)
    w1, w2 = a.write(item(1), body=b"\x00opaque\xff"), a.write(item(2), body=b"")
    assert a.push(w1, w2) == [True, True]
    got = b.pull_all()
    assert got == [w1.record, w2.record]
    assert b.pull_all() == []  # an empty pull after the cursor


def test_compare_and_swap_refuses_a_stale_base_with_the_current_record(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a, b = Device(tmp_path, A), Device(tmp_path, B)
    first = a.write(item(1))
    a.push(first)
    stale = b.write(item(1), base=0)
    out = b.t.push([stale])
    assert not out[0].accepted and out[0].current == first.record
    assert b.push(b.write(item(1), base=1)) == [True]
    assert a.push(a.write(item(1), base=1)) == [False]


def test_a_write_claiming_another_device_is_refused(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a = Device(tmp_path, A)
    w = Device(tmp_path, B).write(item(1))
    assert a.t.push([w])[0].accepted is False


def test_pages_respect_the_limit_and_lose_nothing(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a, b, c = Device(tmp_path, A), Device(tmp_path, B), Device(tmp_path, C)
    for n in range(7):
        a.push(a.write(item(n)))
        b.push(b.write(item(100 + n)))
    seen: list[str] = []
    while True:
        page = c.t.pull(c.cursor, 3)
        assert len(page.records) <= 3
        seen.extend(r.item_id for r in page.records)
        c.cursor = page.cursor
        if not page.has_more:
            break
    assert sorted(seen) == sorted([item(n) for n in range(7)] + [item(100 + n) for n in range(7)])


def test_a_batch_too_large_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_mod, "MAX_BATCH", 2)
    a = Device(new_vault(tmp_path), A)
    with pytest.raises(StorageTooLarge):
        a.t.push([a.write(item(n)) for n in range(3)])


def test_a_garbage_cursor_starts_over(tmp_path: Path) -> None:
    a = Device(new_vault(tmp_path), A)
    a.push(a.write(item(1)))
    assert len(a.t.pull("not-a-cursor!", 10).records) == 1


# -- sync-service behaviours ------------------------------------------------------


def _only_segment(gdir: Path, device: str) -> Path:
    (seg,) = [p for p in gdir.iterdir() if p.name.startswith(device) and p.name.endswith(".seg")]
    return seg


@pytest.mark.parametrize("style", ["dropbox", "dropbox-named", "syncthing", "icloud"])
def test_a_conflicted_copy_is_read_and_merged(tmp_path: Path, style: str) -> None:
    """The copy may hold the only copy of an edit: the original is gone or cut short."""
    new_vault(tmp_path)
    a, b = Device(tmp_path, A), Device(tmp_path, B)
    w = a.write(item(1))
    a.push(w)
    seg = _only_segment(tmp_path / "g1", A)
    copy = seg.with_name(conflicted_name(seg.name, style))
    seg.rename(copy)
    seg.write_bytes(copy.read_bytes()[:20])  # what is left under the name is truncated
    assert b.pull_all() == [w.record]


def test_an_icloud_placeholder_is_read_once_downloaded(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a, b = Device(tmp_path, A), Device(tmp_path, B)
    w = a.write(item(1))
    a.push(w)
    seg = _only_segment(tmp_path / "g1", A)
    placeholder = seg.with_name(f".{seg.name}.icloud")
    seg.rename(placeholder)
    assert b.pull_all() == []
    placeholder.rename(seg)
    assert b.pull_all() == [w.record]


def test_a_truncated_file_is_read_to_its_last_whole_record_and_again_later(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a, b = Device(tmp_path, A), Device(tmp_path, B)
    ws = [a.write(item(n), body=b"x" * 50) for n in range(3)]
    a.push(*ws)
    seg = _only_segment(tmp_path / "g1", A)
    whole = seg.read_bytes()
    seg.write_bytes(whole[: len(whole) - 80])  # the last record and end frame are cut
    first = b.pull_all()
    assert first == [ws[0].record, ws[1].record]
    seg.write_bytes(whole)
    assert b.pull_all() == [ws[2].record]


def test_late_files_are_waited_for_in_order(tmp_path: Path) -> None:
    src, dst = new_vault(tmp_path / "src"), tmp_path / "dst"
    a = Device(src, A)
    w1, w2 = a.write(item(1)), a.write(item(2))
    a.push(w1)
    a.push(w2)
    svc = SyncService([src, dst])
    svc.copy(0, 1, "safehold-folder.json")
    svc.copy(0, 1, "g1/" + "aa01.000000000002-000000000002.seg")  # the second file first
    b = Device(dst, B)
    assert b.pull_all() == []
    svc.copy(0, 1, "g1/" + "aa01.000000000001-000000000001.seg")
    assert b.pull_all() == [w1.record, w2.record]


def test_a_device_restored_from_a_backup_never_overwrites_its_own_files(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a = Device(tmp_path, A)
    w1 = a.write(item(1))
    a.push(w1)
    restored = Device(tmp_path, A)  # its local state is from before w1
    w2 = restored.write(item(2))
    assert restored.push(w2) == [True]
    assert Device(tmp_path, B).pull_all() == [w1.record, w2.record]


def test_files_that_are_not_ours_are_left_alone(tmp_path: Path) -> None:
    a = Device(new_vault(tmp_path), A)
    (tmp_path / "g1" / "notes.txt").write_text("hello")
    (tmp_path / "g1" / "aa01.junk.seg").write_bytes(b"junk")
    (tmp_path / "g1" / "dd04.000000000001-000000000001.seg").write_bytes(b"not a segment")
    a.push(a.write(item(1)))
    assert len(Device(tmp_path, B).pull_all()) == 1
    assert (tmp_path / "g1" / "notes.txt").read_text() == "hello"


def test_clocks_do_not_matter(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a, b = Device(tmp_path, A), Device(tmp_path, B)
    wa = a.write(item(1))
    a.push(wa)
    for p in (tmp_path / "g1").iterdir():
        os.utime(p, (1, 1))  # a device whose clock is decades behind
    wb = b.write(item(2))
    b.push(wb)
    assert sorted(r.item_id for r in Device(tmp_path, C).pull_all()) == [item(1), item(2)]


# -- forks ------------------------------------------------------------------------


def test_a_fork_keeps_both_and_settles_on_one_current_record(tmp_path: Path) -> None:
    fa, fb = new_vault(tmp_path / "a"), tmp_path / "b"
    svc = SyncService([fa, fb])
    svc.settle()
    a, b = Device(fa, A), Device(fb, B)
    wa, wb = a.write(item(1)), b.write(item(1))
    assert a.push(wa) == [True] and b.push(wb) == [True]  # concurrently, apart
    svc.settle()
    got_a, got_b = a.pull_all(), b.pull_all()
    assert wb.record in got_a and wa.record in got_b  # each sees the other's version
    assert a.t.current(item(1)) == b.t.current(item(1))
    # Writing on top of the fork settles it for everyone.
    assert a.push(a.write(item(1), base=1)) == [True]


# -- compaction -------------------------------------------------------------------


def test_compaction_folds_superseded_records_and_a_late_device_catches_up(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a = Device(tmp_path, A, compact_after=4)
    for rnd in range(5):
        for n in range(3):
            a.push(a.write(item(n), base=rnd))
    segs = [p for p in (tmp_path / "g1").iterdir() if p.suffix == ".seg"]
    assert len(segs) < 5
    late = Device(tmp_path, C)
    got = late.pull_all()
    latest = {r.item_id: r.revision for r in got}
    assert latest == {item(0): 5, item(1): 5, item(2): 5}


def test_compaction_waits_for_other_devices(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a, b = Device(tmp_path, A, compact_after=1000, compact_ratio=0), Device(tmp_path, B)
    for n in range(3):
        a.push(a.write(item(n)))
    b.pull_all()  # b has taken in files 1-3 and says so
    for n in range(3):
        a.push(a.write(item(n)))
    assert a.t.compact()
    names = sorted(p.name for p in (tmp_path / "g1").iterdir() if p.name.startswith(A))
    assert names == [
        "aa01.000000000001-000000000003.seg",
        "aa01.000000000004-000000000004.seg",
        "aa01.000000000005-000000000005.seg",
        "aa01.000000000006-000000000006.seg",
    ]
    assert [r.revision for r in b.pull_all()] == [2, 2, 2]


# -- header and account API ---------------------------------------------------------


def test_header_round_trips_and_refuses_what_it_cannot_use(tmp_path: Path) -> None:
    with pytest.raises(NotAFolderVault):
        read_header(tmp_path / "nothing")
    with pytest.raises(NotAFolderVault):
        read_header(tmp_path)
    new_vault(tmp_path)
    assert read_header(tmp_path, ACCOUNT) == header()
    with pytest.raises(ForeignFolderVault):
        read_header(tmp_path, "b2" * 16)
    with pytest.raises(FolderExists):
        create_folder_vault(tmp_path, header())
    (tmp_path / "safehold-folder.json").write_text("{not json")
    with pytest.raises(FolderDamaged):
        read_header(tmp_path)


def test_a_damaged_header_with_a_good_copy_reads_the_copy(tmp_path: Path) -> None:
    new_vault(tmp_path)
    good = (tmp_path / "safehold-folder.json").read_bytes()
    (tmp_path / conflicted_name("safehold-folder.json", "syncthing")).write_bytes(good)
    (tmp_path / "safehold-folder.json").write_bytes(good[:10])
    assert read_header(tmp_path) == header()


def test_password_change_wins_over_an_older_conflicted_copy(tmp_path: Path) -> None:
    new_vault(tmp_path)
    old = (tmp_path / "safehold-folder.json").read_bytes()
    new = change_keyset(
        tmp_path, ACCOUNT, b"new-keyset", b"t" * 16, {"iterations": 4, "memory_cost": 8, "lanes": 1}
    )
    (tmp_path / conflicted_name("safehold-folder.json", "dropbox")).write_bytes(old)
    got = read_header(tmp_path, ACCOUNT)
    assert got == new and got.keyset_version == 2 and got.keyset == b"new-keyset"


def test_reset_archives_the_old_generation_and_old_devices_hear_of_it(tmp_path: Path) -> None:
    new_vault(tmp_path)
    a = Device(tmp_path, A)
    w = a.write(item(1))
    a.push(w)
    new = start_new_generation(tmp_path, header(keyset=b"fresh"))
    assert new.generation == 2
    archived = list((tmp_path / "archive" / "g1").iterdir())
    assert any(p.name.startswith(A) for p in archived)  # moved, not deleted
    with pytest.raises(StorageReset) as caught:
        a.t.pull(a.cursor, 10)
    assert caught.value.generation == 2
    with pytest.raises(StorageReset):
        a.t.push([a.write(item(2))])
    fresh = Device(tmp_path, B, generation=2)
    assert fresh.pull_all() == []
