"""One suite for the sync engine, parametrised over its transports (issue 10 §2): the
in-memory store, a vault folder, and the real server (uvicorn in a subprocess).

Pull, push, merges, conflict copies, deletes, lost answers, a batch too large, quarantine,
and every attack storage can make without the vault key (spec/protocol.md §11.4): each is
detected and reported, and no device loses data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.engine_world import KINDS, World, item, world
from tests.support.server import run_server

from safehold.client.transport import Record, StorageReset, StorageUnavailable, WriteOutcome


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_server(tmp_path_factory.mktemp("engine-server")) as server:
        yield server.base_url


@pytest.fixture(params=KINDS)
def w(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    url = request.getfixturevalue("server_url") if request.param == "server" else None
    with world(request.param, tmp_path, url) as made:
        yield made


def _patience(w: World) -> int:
    return 3 if w.kind == "folder" else 1


# --- pull, push, merges --------------------------------------------------------------


def test_an_item_added_on_one_device_reaches_the_other(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    a.vault.put(item("GitHub", username="ann", password="pw1"))
    assert a.sync().pushed == 1
    report = b.sync()
    assert report.pulled >= 1 and report.refused == [] and report.quarantined == []
    assert b.titles()["GitHub"]["fields"]["password"] == "pw1"
    assert a.store.outbox() == [] == b.store.outbox()


def test_edits_to_different_fields_merge(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    stored = a.vault.put(item("GitHub", username="ann", password="pw1"))
    a.sync(), b.sync()
    a.vault.put(item("GitHub", username="ann2", password="pw1"), stored.item_id)
    b.vault.put(item("GitHub", username="ann", password="pw2"), stored.item_id)
    a.sync()
    assert b.sync().conflicts == []
    a.sync()
    for d in (a, b):
        assert d.titles()["GitHub"]["fields"] == {"username": "ann2", "password": "pw2"}


def test_the_same_field_edited_on_both_keeps_both(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    stored = a.vault.put(item("GitHub", password="pw1"))
    a.sync(), b.sync()
    a.vault.put(item("GitHub", password="from-a"), stored.item_id)
    b.vault.put(item("GitHub", password="from-b"), stored.item_id)
    a.sync()
    assert len(b.sync().conflicts) == 1
    a.sync()
    assert a.snapshot() == b.snapshot()
    values = sorted(d["fields"]["password"] for d in a.snapshot().values())
    assert values == ["from-a", "from-b"]


def test_a_deletion_is_a_sealed_tombstone_and_reaches_every_device(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    stored = a.vault.put(item("Old"))
    a.sync(), b.sync()
    a.vault.delete(stored.item_id)
    a.sync()
    report = b.sync()
    assert report.refused == [] and report.quarantined == []
    assert b.titles() == {} == a.titles()


def test_delete_against_edit_keeps_the_edit(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    stored = a.vault.put(item("Router", password="pw1"))
    a.sync(), b.sync()
    a.vault.delete(stored.item_id)
    b.vault.put(item("Router", password="pw2"), stored.item_id)
    a.sync(), b.sync(), a.sync()
    for d in (a, b):
        assert d.titles()["Router"]["fields"]["password"] == "pw2"


@pytest.mark.parametrize("kind", ["create", "edit", "delete"])
def test_a_push_whose_answer_was_lost_settles_without_a_conflict(w: World, kind: str) -> None:
    a, b = w.device("a"), w.device("b")
    stored = a.vault.put(item("GitHub", password="pw1"))
    if kind != "create":
        a.sync(), b.sync()
        if kind == "edit":
            a.vault.put(item("GitHub", password="pw2"), stored.item_id)
        else:
            a.vault.delete(stored.item_id)
    a.transport.lose_answers = True
    with pytest.raises(StorageUnavailable):
        a.sync()
    a.transport.lose_answers = False
    report = a.sync()
    assert report.conflicts == [] and report.refused == [] and a.store.outbox() == []
    b_report = b.sync()
    assert b_report.refused == [] and b_report.gaps == []
    expected = {} if kind == "delete" else {"GitHub": "pw1" if kind == "create" else "pw2"}
    for d in (a, b):
        assert {t: v["fields"]["password"] for t, v in d.titles().items()} == expected


def test_a_batch_too_large_is_split_and_the_item_at_fault_stays_waiting(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    small = [a.vault.put(item(f"small {i}")) for i in range(5)]
    big = a.vault.put(item("big"))
    a.transport.too_large = {big.item_id}
    report = a.sync()
    assert report.pushed == 5 and [n.item_id for n in report.rejected] == [big.item_id]
    assert a.store.outbox() == [big.item_id]
    b.sync()
    assert sorted(b.titles()) == sorted(s.title for s in small)
    a.transport.too_large = set()
    assert a.sync().rejected == []
    b.sync()
    assert "big" in b.titles()


# --- quarantine ----------------------------------------------------------------------


def test_an_envelope_that_will_not_open_is_quarantined_and_retried(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    bad = a.vault.put(item("Damaged"))
    good = a.vault.put(item("Fine"))
    a.sync()
    b.transport.garble = {bad.item_id}
    report = b.sync()
    assert [q.item_id for q in report.quarantined] == [bad.item_id]
    assert list(b.titles()) == ["Fine"]  # the rest synced
    # Retried at every sync; it stays until a record of the item opens.
    assert [q.item_id for q in b.sync().quarantined] == [bad.item_id]
    b.transport.garble = set()
    a.vault.put(item("Damaged", password="fixed"), bad.item_id)
    a.sync()
    report = b.sync()
    assert report.quarantined == []
    assert b.titles()["Damaged"]["fields"] == {"password": "fixed"}
    assert good.item_id in b.snapshot()


# --- attacks -------------------------------------------------------------------------


def test_rollback_to_an_older_revision_is_refused_and_reported(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    stored = a.vault.put(item("Bank", password="old"))
    a.sync(), b.sync()
    a.vault.put(item("Bank", password="new"), stored.item_id)
    a.sync(), b.sync()
    b.transport.rollback(stored.item_id, 1)
    report = b.sync()
    assert [(r.item_id, r.reason.split(":")[0]) for r in report.refused] == [(stored.item_id, "rollback")]
    assert b.titles()["Bank"]["fields"]["password"] == "new"


def test_a_record_served_under_other_claims_does_not_open(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    one = a.vault.put(item("One", password="1"))
    two = a.vault.put(item("Two", password="2"))
    a.sync(), b.sync()
    rec = b.transport.older(one.item_id, 1)
    b.transport.forge(rec, item_id=two.item_id, revision=2)  # moved to another item
    b.transport.forge(rec, revision=5)  # a revision it was not sealed for
    report = b.sync()
    assert sorted((q.item_id, q.revision) for q in report.quarantined) == sorted(
        [(two.item_id, 2), (one.item_id, 5)]
    )
    assert {t: v["fields"]["password"] for t, v in b.titles().items()} == {"One": "1", "Two": "2"}


def test_forged_tombstones_delete_nothing(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    stored = a.vault.put(item("Keep me"))
    a.sync(), b.sync()
    b.transport.forge_tombstone(stored.item_id, 2, a.device_id, 7)
    # A version 1 style deletion: storage's word, with no sealed record at all.
    b.transport.inject.append(Record(stored.item_id, 3, "", 0, b"", deleted=True))
    report = b.sync()
    assert [q.item_id for q in report.quarantined] == [stored.item_id]
    assert [r.item_id for r in report.refused] == [stored.item_id]
    assert "Keep me" in b.titles()


def test_a_push_storage_acknowledged_and_dropped_is_reported_as_withheld(w: World) -> None:
    a = w.device("a")
    a.transport.drop_pushes = True
    lost = a.vault.put(item("Dropped"))
    assert a.sync().pushed == 1  # storage said yes
    a.transport.drop_pushes = False
    a.vault.put(item("Kept"))
    a.sync()
    b = w.device("b")
    gaps = [g for _ in range(_patience(w)) for g in b.sync().gaps]
    assert [(g.device, g.item_id) for g in gaps] == [(a.device_id, lost.item_id)]
    assert "Dropped" in a.titles()  # still on the device that wrote it


def test_items_withheld_from_a_new_device_are_reported(w: World) -> None:
    a = w.device("a")
    hidden = a.vault.put(item("Hidden"))
    a.sync()
    a.vault.put(item("Shown"))
    a.sync()
    c = w.device("c")
    c.transport.withhold = {hidden.item_id}
    gaps = [g for _ in range(_patience(w)) for g in c.sync().gaps]
    assert [(g.device, g.item_id) for g in gaps][-1:] == [(a.device_id, hidden.item_id)]
    c.transport.withhold = set()


def test_the_same_record_delivered_again_is_ignored(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    stored = a.vault.put(item("Once"))
    a.sync(), b.sync()
    b.transport.inject.append(b.transport.older(stored.item_id, 1))
    report = b.sync()
    assert report.refused == [] and report.quarantined == [] and report.conflicts == []
    assert list(b.titles()) == ["Once"]


def test_an_answer_naming_an_item_nobody_sent_is_reported(w: World) -> None:
    a = w.device("a")
    a.transport.extra_answers = [WriteOutcome("f" * 32, True)]
    a.vault.put(item("Real"))
    report = a.sync()
    assert report.pushed == 1
    assert [r.item_id for r in report.refused] == ["f" * 32]
    assert a.store.outbox() == []


def test_an_item_deleted_before_its_first_push_arrived_leaves_no_false_alarm(w: World) -> None:
    a, b = w.device("a"), w.device("b")
    gone = a.vault.put(item("Short-lived"))
    a.transport.fail_pushes = True
    with pytest.raises(StorageUnavailable):
        a.sync()  # sealed and numbered, never stored
    a.transport.fail_pushes = False
    a.vault.delete(gone.item_id)  # never acknowledged: the device forgets it
    a.vault.put(item("Next"))  # this write names the lost one as its prev
    assert a.sync().refused == []
    reports = [b.sync() for _ in range(_patience(w))]
    assert [g for r in reports for g in r.gaps] == [] and reports[-1].refused == []
    assert list(b.titles()) == ["Next"] == list(a.titles())


def test_a_reset_claim_stops_the_sync_before_anything_is_uploaded(tmp_path: Path) -> None:
    with world("memory", tmp_path) as w:
        a = w.device("a")
        a.vault.put(item("Kept"))
        w.memory.generation = 2  # storage now says: another generation
        with pytest.raises(StorageReset) as caught:
            a.sync()
        assert caught.value.generation == 2
        assert w.memory.items == {} and len(a.store.outbox()) == 1  # nothing sent, nothing dropped
