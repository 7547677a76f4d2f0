"""The sync engine (spec/protocol.md §11): pull what storage holds since the cursor, check
it, then push the outbox as sealed version 2 writes. It trusts no storage.

    engine = SyncEngine(store, transport, vk)      # device id: the store's, or device_id=
    report = engine.sync(progress=None)            # -> SyncReport

``transport`` is any :class:`~safehold.client.transport.Transport` (the server, a folder,
memory); the engine sees bytes, an opaque cursor and typed errors, never HTTP.

**Pull.** Every record is opened with exactly the claims storage gave (item, revision,
device, seq, deleted: all bound into the AD). One that does not open is *quarantined*: kept
in the local vault, reported, retried at every sync, never a reason to stop. One that opens
is checked against what this device saw before (:mod:`safehold.client.ledger`): an older
write served again (rollback, replay) or a write number re-used is *refused* and reported,
and never replaces the local copy; a record older than what is held but never seen is a
superseded write and only closes its number; the very same write again is ignored; another
write of the same revision is a *fork* (two devices wrote at once, possible in a folder):
the larger ``(device, seq)`` wins everywhere, and the device whose write lost merges it
back in (both kept). A newer record becomes the item's state: an item with no local edits
takes it; one with local edits is merged with it field by field (:mod:`.merge`) against the
last state this device saw, and the merged item goes back in the outbox. After a complete
pull, every gap in a device's numbers whose ``prev`` names a write that never arrived is
reported as *withheld* once it has stayed open for ``gap_patience`` syncs.

**Push.** Each outbox item is sealed as a v2 write (revision = base + 1, this device's next
seq, ``prev`` its last write; a deletion is a sealed tombstone) and kept as *pending* before
it is sent, so a write whose answer was lost is re-sent as the very same record (and a pull
that brings it back counts as its acknowledgement). A refusal carries storage's current
record, which passes the same checks as a pulled one and is merged the same way. A batch
storage refuses as too large is split until the item at fault is found; it stays in the
outbox and is reported in ``rejected``.

Resolution never drops an edit: delete against edit keeps the edit (``restored``); edit
against edit keeps both (storage's value in place and the local version as a conflict copy,
marked ``conflict_of``/``conflict_from``/``conflict_at`` inside the item).

:class:`~safehold.client.transport.StorageReset` propagates before anything is uploaded;
the account layer sets the vault aside (account.py), it never deletes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from safehold.crypto import (
    EncodingError,
    OpenedWrite,
    TamperedData,
    VaultCipher,
    WriteCipher,
    WriteClaims,
    new_item_id,
    parse_prev,
)

from .errors import ClientError
from .ledger import WriterLog
from .merge import conflict_title, merge_items
from .store import ConflictRecord, ItemRow, PendingWrite, VaultStore
from .transport import Page, Record, StorageTooLarge, Transport, Write, WriteOutcome
from .vault import MAX_ENVELOPE_CHARS, envelope_chars

__all__ = ["Gap", "ItemNote", "Progress", "QuarantineNote", "Refusal", "SyncEngine", "SyncReport"]

#: A page of 1,000 ~1 KB items is about 1 MB; each page costs a round trip.
PULL_PAGE = 1000
#: Records taken per transaction while pulling (whole pages; see SyncEngine.pull).
PULL_COMMIT = 5000
#: Local vault meta: items whose state is this device's write that won a fork (spec §11.4).
CONTESTED_META = "contested"
#: Local vault meta prefix: this device's write of an item that another's superseded.
OWN_META = "own."
PUSH_BATCH = 500
#: Stays well under the server's default 16 MiB request limit, whatever the item sizes.
PUSH_BATCH_CHARS = 8 * MAX_ENVELOPE_CHARS
#: A push round resolves every conflict it meets, so more rounds mean other devices are
#: writing the same items at the same moment; give up politely rather than spin.
MAX_PUSH_ROUNDS = 8
#: Complete pulls a gap may stay unexplained before it is reported as withheld. A folder's
#: files arrive late and out of order, so it gets longer than the server, whose pages are
#: a consistent snapshot.
GAP_PATIENCE = {"folder": 3}
DEFAULT_GAP_PATIENCE = 1

#: ``progress(phase, done, total)``; ``total`` is ``None`` when unknown.
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True, slots=True)
class ItemNote:
    """An item a sync has something to say about."""

    item_id: str
    title: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """A record (or an answer) the engine refused; the local copy was kept."""

    item_id: str
    device: str  #: the writing device the record claims ('' for a v1 record or an answer)
    reason: str


@dataclass(frozen=True, slots=True)
class QuarantineNote:
    """A record that did not open, kept aside and retried at every sync (spec §11.5)."""

    item_id: str
    revision: int
    device: str
    seq: int
    first_seen: str


@dataclass(frozen=True, slots=True)
class Gap:
    """A write the next write of ``device`` names, which storage has not delivered."""

    device: str
    seq: int
    item_id: str
    revision: int


@dataclass
class SyncReport:
    pulled: int = 0
    pushed: int = 0
    merged: int = 0
    conflicts: list[ConflictRecord] = field(default_factory=list)
    #: Items deleted on this device that came back because another device edited them.
    restored: list[ItemNote] = field(default_factory=list)
    #: Items storage refused as too large; they stay in the outbox.
    rejected: list[ItemNote] = field(default_factory=list)
    #: Records refused as rollback, replay, forgery or an answer that makes no sense.
    refused: list[Refusal] = field(default_factory=list)
    #: Every record held in quarantine after this sync (new and old).
    quarantined: list[QuarantineNote] = field(default_factory=list)
    #: Withheld writes: gaps in a device's numbers that the next write explains and
    #: storage has not filled.
    gaps: list[Gap] = field(default_factory=list)
    #: Gaps whose missing write nothing names (superseded, most likely); counted only.
    unexplained: int = 0

    def summary(self) -> dict[str, Any]:
        """What ``status`` shows of the last sync (ids and reasons only, no item text)."""
        return {
            "pulled": self.pulled,
            "pushed": self.pushed,
            "merged": self.merged,
            "conflicts": len(self.conflicts),
            "rejected": [n.item_id for n in self.rejected],
            "refused": [asdict(r) for r in self.refused],
            "quarantined": [asdict(q) for q in self.quarantined],
            "gaps": [asdict(g) for g in self.gaps],
            "unexplained": self.unexplained,
        }


def _utcnow() -> datetime:
    return datetime.now(UTC)


#: ``(revision, device, seq)`` of the write an item's state came from.
_Seen = tuple[int, str, int]


class _SeenCache:
    """Per item, the write last opened (the vault file's ``seen``), read when first needed:
    a sync that takes few records reads few entries, however large the vault (an empty
    sync of 10,000 items costs what one of 100 does). Writes go to the store as well, by
    the engine (``set_seen``, or with the rest of a page)."""

    __slots__ = ("_known", "_store")

    def __init__(self, store: VaultStore) -> None:
        self._store = store
        self._known: dict[str, _Seen | None] = {}

    def load(self, item_ids: list[str]) -> None:
        """Read the entries of ``item_ids`` not read yet, in one query (a pulled page)."""
        missing = [i for i in item_ids if i not in self._known]
        if missing:
            found = self._store.seen_for(missing)
            for item_id in missing:
                self._known[item_id] = found.get(item_id)

    def get(self, item_id: str) -> _Seen | None:
        try:
            return self._known[item_id]
        except KeyError:
            seen = self._known[item_id] = self._store.seen(item_id)
            return seen

    def __setitem__(self, item_id: str, seen: _Seen) -> None:
        self._known[item_id] = seen


class SyncEngine:
    def __init__(
        self,
        store: VaultStore,
        transport: Transport,
        vk: bytes,
        device_id: str | None = None,
        *,
        device_name: str | None = None,
        now: Callable[[], datetime] = _utcnow,
        progress: Progress | None = None,
        gap_patience: int | None = None,
        opened: dict[tuple[str, bytes], dict[str, Any]] | None = None,
    ) -> None:
        self.store = store
        #: The caller's cache of opened items (see ``Vault``): items taken in are put there.
        self.opened = opened
        self.transport = transport
        account = bytes.fromhex(store.account_id)
        generation = store.generation
        self.cipher = VaultCipher(vk, account, generation)
        self.writes = WriteCipher(vk, account, generation)
        self.device_id = (device_id or store.device_id).lower()
        self.device_name = device_name or store.device_name
        self.now = now
        self.progress = progress
        kind = getattr(transport, "kind", "")
        self.gap_patience = gap_patience or GAP_PATIENCE.get(kind, DEFAULT_GAP_PATIENCE)
        self.report = SyncReport()
        self._copy_ids: set[str] = set()
        self._seen = _SeenCache(store)
        #: Items whose current state is this device's write that won a fork (item -> revision).
        self._contested: dict[str, int] = {}
        self._contested_dirty = False
        self._writers: dict[str, WriterLog] = {}
        self._dirty_writers: set[str] = set()
        self._claims: dict[tuple[str, int], tuple[str, int]] = {}
        self._pending: set[str] = set()
        #: Items with a record in quarantine (most syncs: none, and no query per record).
        self._held_aside: set[str] = set()
        self._refused_keys: set[tuple[str, str, str]] = set()
        #: Items whose record arrived in this sync (for the from-the-start check).
        self._delivered: set[str] = set()
        # While a pull page is taken: its items' rows read in one query, and the common
        # outcome (storage's record becomes the item's clean state) kept here and written
        # in one statement per table when the page ends (_flush). Every other path flushes
        # first, so the store is never behind what it reads.
        self._page_rows: dict[str, ItemRow | None] | None = None
        self._clean: dict[str, tuple[int, bytes | None]] = {}
        self._seen_out: dict[str, _Seen] = {}

    # --- the whole run ----------------------------------------------------------------

    def sync(self, progress: Progress | None = None) -> SyncReport:
        if progress is not None:
            self.progress = progress
        self.report = SyncReport()
        self.store.scrub_conflict_titles()
        self._copy_ids = self.store.conflict_copy_ids()
        self._seen = _SeenCache(self.store)
        self._contested = self._load_contested()
        self._writers = {d: WriterLog(m, g) for d, (m, g) in self.store.writers().items()}
        self._claims = {(d, s): (i, r) for d, s, i, r, _ in self.store.claims()}
        self._pending = self.store.pending_ids()
        self._held_aside = {q[0] for q in self.store.quarantined()}
        self._retry_quarantine()
        # Only a pull from the start reads every item's entry (to find what storage no
        # longer holds); any other sync reads those of the records it takes.
        from_start = self.store.sync_cursor == ""
        known_before = self.store.seen_all() if from_start else {}
        self.pull()
        if from_start:
            self._check_missing(known_before)
        self._check_gaps()
        self._queue_v1_rewrites()
        self.push()
        self._finish()
        return self.report

    #: The name of the version 1 engine's entry point.
    run = sync

    def _finish(self) -> None:
        self._save_writers()
        self.report.quarantined = [
            QuarantineNote(item, rev, dev, seq, first)
            for item, rev, dev, seq, _, first, _ in self.store.quarantined()
        ]
        self.report.unexplained = max(
            0, sum(w.open_count() for w in self._writers.values()) - len(self._claims)
        )
        summary = {
            "at": self.now().astimezone(UTC).isoformat(),
            "transport": {"kind": getattr(self.transport, "kind", ""), "where": self.transport.describe()},
            **self.report.summary(),
        }
        self.store.set_meta(last_sync=json.dumps(summary, sort_keys=True))

    # --- pull -------------------------------------------------------------------------

    def pull(self) -> None:
        cursor = self.store.sync_cursor
        done = 0
        more = True
        while more:
            # Pages are fetched first (never holding the vault file's write lock across a
            # network call), then taken in one transaction of up to PULL_COMMIT records: a
            # commit writes the tables' upper pages again, so a first sync of many items
            # commits a few times rather than once per page. A fetch that fails still has
            # the pages before it taken.
            pages: list[Page] = []
            fetched = 0
            failure: BaseException | None = None
            try:
                while more and fetched < PULL_COMMIT:
                    page = self.transport.pull(cursor, PULL_PAGE)
                    pages.append(page)
                    fetched += len(page.records)
                    more = page.has_more and page.cursor != cursor
                    cursor = page.cursor
            except BaseException as exc:
                if not pages:
                    raise
                failure, more = exc, False
            with self.store.transaction():
                for n, page in enumerate(pages, 1):
                    self._take_page(page.records)
                    done += len(page.records)
                    if self.progress:
                        last = n == len(pages) and not more and failure is None
                        self.progress("pull", done, done if last else None)
                self._save_writers()
                self.store.sync_cursor = cursor
            self.report.pulled += fetched
            if failure is not None:
                raise failure

    def _take_page(self, records: Sequence[Record]) -> None:
        """Take one page's records: their rows read in one query, clean states kept back
        and written in one statement per table at the end (see ``_page_rows``)."""
        ids = [r.item_id for r in records]
        self._page_rows = dict.fromkeys(ids)
        self._page_rows.update(self.store.rows_for(ids))
        self._seen.load(ids)
        try:
            for record in records:
                self._take(record)
            self._flush()
        finally:
            self._page_rows = None

    def _row(self, item_id: str) -> ItemRow | None:
        rows = self._page_rows
        if rows is not None and item_id in rows:
            return rows[item_id]
        return self.store.row(item_id)

    def _flush(self) -> None:
        """Write what the page kept back (see ``_page_rows``), so the store is up to date."""
        if self._seen_out:
            self.store.set_seen_many([(i, *seen) for i, seen in self._seen_out.items()])
            self._seen_out.clear()
        if self._clean:
            self.store.set_clean_states([(i, rev, env) for i, (rev, env) in self._clean.items()])
            self._clean.clear()

    def _forget_row(self, item_id: str) -> None:
        """``item_id``'s row is about to change by a path that writes at once: flush what is
        kept back, and read the row from the store from now on."""
        self._flush()
        if self._page_rows is not None:
            self._page_rows.pop(item_id, None)

    def _refuse(self, item_id: str, device: str, reason: str) -> None:
        key = (item_id, device, reason)
        if key not in self._refused_keys:
            self._refused_keys.add(key)
            self.report.refused.append(Refusal(item_id, device, reason))

    def _release(self, item_id: str, revision: int) -> None:
        if item_id in self._held_aside:
            self.store.release(item_id, revision)

    def _quarantine(self, record: Record) -> None:
        self._held_aside.add(record.item_id)
        self.store.quarantine(
            record.item_id, record.revision, record.device, record.seq, record.envelope,
            self.now().astimezone(UTC).isoformat(),
        )  # fmt: skip

    def _retry_quarantine(self) -> None:
        held = self.store.quarantined()
        if not held:
            return
        with self.store.transaction():
            for item, rev, dev, seq, envelope, _, _ in held:
                self._take(Record(item, rev, dev, seq, envelope))

    def _open_v2(self, record: Record) -> OpenedWrite | None:
        """The record opened with storage's claims (a tombstone's flag may be either way:
        the sealed one counts), else None."""
        for deleted in (record.deleted, not record.deleted):
            claims = WriteClaims(record.item_id, record.revision, record.device, record.seq, deleted)
            try:
                return self.writes.open(claims, record.envelope)
            except (TamperedData, ValueError):
                continue
        return None

    def _take(self, record: Record) -> None:
        """Check one record storage gave (pulled, or the current state in a refusal)."""
        self._delivered.add(record.item_id)
        if not record.device:
            self._take_v1(record)
            return
        opened = self._open_v2(record)
        if opened is None:
            self._quarantine(record)
            return
        value, prev = opened.value, opened.prev
        item_id, device = record.item_id, record.device
        seen = self._seen.get(item_id)
        me = (record.revision, device, record.seq)
        if seen == me:
            self._release(item_id, record.revision)
            return  # the same write again
        log = self._writer(device)
        if log.is_closed(record.seq):
            if seen is not None and record.revision < seen[0]:
                self._refuse(item_id, device, f"rollback: revision {record.revision} served again "
                                              f"after revision {seen[0]}")  # fmt: skip
            else:
                self._refuse(item_id, device, f"replay: write number {record.seq} of this device was "
                                              "already used by another write")  # fmt: skip
            return
        self._close(device, record.seq, prev, log)
        self._release(item_id, record.revision)
        newer = seen is None or record.revision > seen[0]
        # A fork: two writes of one revision. The larger (device, seq) wins on every
        # device; the device whose write lost merges it back in.
        fork_won = seen is not None and record.revision == seen[0] and (device, record.seq) > seen[1:]
        if newer or fork_won:
            # The vault file seals the bytes the writer sealed (spec §11.7): encoding the
            # value again would give the same bytes at twice the cost.
            kept = None
            if opened.value_json is not None:
                kept = self.cipher.seal_item_json(item_id, opened.value_json)
            held_loser = fork_won and seen is not None and seen[1] == self.device_id
            # This device's write won a fork at its revision, and a third device wrote the
            # next one: it may have built on the fork's loser (it saw that one first), and
            # then this device's edit is in no one's copy. Merged back in as a loser's is
            # (no common base: whatever differs goes into a conflict copy), nothing is lost.
            contested = self._contested.pop(item_id, None)
            if contested is not None:
                self._contested_dirty = True
                if seen is not None and (contested, self.device_id) == seen[:2] and device != self.device_id:
                    held_loser = True
            if not held_loser and seen is not None and seen[1] == self.device_id and device != self.device_id:
                self._stash_own(item_id, seen[0])
            self._new_state(item_id, me, value, held_loser=held_loser, local=kept)
        elif seen is not None and record.revision == seen[0] and seen[1] == self.device_id:
            # A fork's loser, against this device's write: remember that it was contested.
            self._contested[item_id] = seen[0]
            self._contested_dirty = True
        elif device != self.device_id:
            # An older write never seen here: superseded, or the other side of a fork this
            # device's write was in without knowing (see _late_fork).
            self._late_fork(item_id, record.revision)

    def _stash_own(self, item_id: str, revision: int) -> None:
        """Another device's write supersedes this device's at ``revision``: keep this
        device's (the row's base) aside, in case a fork at ``revision`` shows up later."""
        row = self._row(item_id)
        if row is not None and row.base is not None:
            value = json.dumps({"revision": revision, "envelope": row.base.hex()})
            self.store.set_meta(**{f"{OWN_META}{item_id}": value})

    def _late_fork(self, item_id: str, revision: int) -> None:
        """Another device's write at ``revision`` arrives after a later one: if this
        device's own write was at ``revision`` too, there was a fork it never saw, and the
        later write may have been built on the other side of it. This device's write is
        kept as a conflict copy if the item no longer holds it, so its edit is not lost."""
        key = f"{OWN_META}{item_id}"
        try:
            stash = json.loads(self.store.meta(key) or "null")
            if not isinstance(stash, dict) or stash.get("revision") != revision:
                return
            mine = self._open_local(item_id, bytes.fromhex(str(stash["envelope"])))
        except (ValueError, KeyError, ClientError):
            return
        self.store.set_meta(**{key: None})
        row = self._row(item_id)
        current = self._open_local(item_id, row.local) if row is not None else None
        if mine is not None and mine != current:
            self._keep_conflict_copy(item_id, mine)

    def _take_v1(self, record: Record) -> None:
        item_id = record.item_id
        seen = self._seen.get(item_id)
        if not record.envelope:
            row = self._row(item_id)
            if row is not None and row.local is not None:
                self._refuse(
                    item_id, "", "a deletion storage did not seal (a version 1 tombstone); item kept"
                )
            return
        try:
            value = self.cipher.open_item(bytes.fromhex(item_id), record.envelope)
        except (TamperedData, ValueError):
            value = None
        if not isinstance(value, dict):
            self._quarantine(record)
            return
        self._release(item_id, record.revision)
        if seen is not None and seen[1]:
            self._refuse(item_id, "", "rollback: a version 1 record of an item already written in version 2")
            return
        if seen is not None and record.revision < seen[0]:
            self._refuse(item_id, "", f"rollback: revision {record.revision} served after revision {seen[0]}")
            return
        if seen is None or record.revision > seen[0]:
            # A v1 envelope is already in the local format: kept as it is, not sealed again.
            self._new_state(item_id, (record.revision, "", 0), value, held_loser=False, local=record.envelope)

    def _writer(self, device: str) -> WriterLog:
        log = self._writers.get(device)
        if log is None:
            log = self._writers[device] = WriterLog()
        return log

    def _close(self, device: str, seq: int, prev: str | None, log: WriterLog | None = None) -> None:
        if log is None:
            log = self._writer(device)
        # The next number of a device written in order (the common case) leaves no gap.
        in_order = seq == log.max_seq + 1
        log.close(seq)
        self._dirty_writers.add(device)
        if (device, seq) in self._claims:
            del self._claims[(device, seq)]
            self.store.drop_claim(device, seq)
        if prev is not None and seq > 1 and not in_order and not log.is_closed(seq - 1):
            try:
                prev_item, prev_rev = parse_prev(prev)
            except EncodingError:
                return
            if (device, seq - 1) not in self._claims:
                self._claims[(device, seq - 1)] = (prev_item, prev_rev)
                self.store.add_claim(device, seq - 1, prev_item, prev_rev)

    def _load_contested(self) -> dict[str, int]:
        try:
            raw = json.loads(self.store.meta(CONTESTED_META) or "{}")
        except ValueError:
            return {}
        if not isinstance(raw, dict):
            return {}
        return {str(k): v for k, v in raw.items() if isinstance(v, int)}

    def _save_writers(self) -> None:
        if self._contested_dirty:
            self.store.set_meta(**{CONTESTED_META: json.dumps(self._contested, sort_keys=True) or None})
            self._contested_dirty = False
        for device in self._dirty_writers:
            log = self._writers[device]
            self.store.set_writer(device, log.max_seq, log.gaps)
        self._dirty_writers.clear()

    def _check_gaps(self) -> None:
        for (device, seq), (item_id, revision) in sorted(self._claims.items()):
            seen = self._seen.get(item_id)
            if self._writer(device).is_closed(seq) or (seen is not None and seen[0] >= revision):
                del self._claims[(device, seq)]
                self.store.drop_claim(device, seq)
                continue
            if self.store.count_claim(device, seq) >= self.gap_patience:
                self.report.gaps.append(Gap(device, seq, item_id, revision))

    def _check_missing(self, known: dict[str, _Seen]) -> None:
        """After a pull from the start: items this device saw that storage no longer has."""
        for item_id in sorted(known.keys() - self._delivered):
            seen = known[item_id]
            self._refuse(
                item_id, seen[1], f"withheld: storage no longer holds revision {seen[0]} of the item"
            )

    def _queue_v1_rewrites(self) -> None:
        """spec §11.6: an item whose latest record is version 1 is re-written as version 2."""
        for item_id in self.store.v1_seen():
            row = self.store.row(item_id)
            if row is not None and row.local is not None and not row.dirty:
                self.store.mark_dirty(item_id)

    # --- applying a new state ---------------------------------------------------------

    def _open_local(self, item_id: str, envelope: bytes | None) -> dict[str, Any] | None:
        if envelope is None:
            return None
        try:
            value = self.cipher.open_item(bytes.fromhex(item_id), envelope)
        except TamperedData:
            raise ClientError(
                f"item {item_id} in the local vault failed to decrypt: "
                "it was altered or sealed with other keys"
            ) from None
        return value if isinstance(value, dict) else None

    def _seal_local(self, item_id: str, value: dict[str, Any] | None) -> bytes | None:
        return None if value is None else self.cipher.seal_item(bytes.fromhex(item_id), value)

    def _new_state(
        self,
        item_id: str,
        seen: _Seen,
        value: dict[str, Any] | None,
        *,
        held_loser: bool,
        local: bytes | None = None,
    ) -> None:
        """Storage's record ``seen`` of ``item_id`` (opened: ``value``; ``local``: the record
        in the form the vault file keeps, if it has one) is the item's state now."""
        self._seen[item_id] = seen
        revision, device, seq = seen
        row = self._row(item_id)
        if local is None and value is not None:
            local = self._seal_local(item_id, value)
        envelope = local
        if (
            self._page_rows is not None
            and item_id not in self._pending
            and not held_loser
            and (row is None or not row.dirty)
            and item_id not in self._copy_ids
            and (value is None or "conflict_of" not in value)
        ):
            # The common case while pulling: kept back and written with the rest of the page.
            self._remember(item_id, row, envelope, value)
            self._seen_out[item_id] = seen
            self._clean[item_id] = (revision, envelope)
            self._page_rows[item_id] = (
                None if envelope is None else ItemRow(item_id, envelope, envelope, revision, False)
            )
            return
        self._forget_row(item_id)
        self.store.set_seen(item_id, *seen)
        if item_id in self._pending:
            pending = self.store.pending(item_id)
            self._pending.discard(item_id)
            self.store.drop_pending(item_id)
            if pending is not None and device == self.device_id and seq == pending.seq:
                # This device's own write, whose answer was lost: it is acknowledged now.
                source = pending.source
                local = source if row is None else row.local
                self.store.set_server_state(item_id, revision, source, local=local, dirty=local != source)
                self._index_conflict_mark(item_id, value)
                return
        if held_loser:
            # This device's write lost a fork: merge it back with no common base, so that
            # whatever differs is kept in a conflict copy.
            local = row.local if row is not None else None
            loser = ItemRow(item_id, local, None, revision, True)
            self._resolve(loser, revision, envelope, value, base_known=False)
            return
        if row is None or not row.dirty:
            self.store.set_server_state(item_id, revision, envelope, local=envelope, dirty=False)
            self._remember(item_id, row, envelope, value)
            self._index_conflict_mark(item_id, value)
        else:
            self._resolve(row, revision, envelope, value)

    def _remember(
        self, item_id: str, row: ItemRow | None, envelope: bytes | None, value: dict[str, Any] | None
    ) -> None:
        """Put the item's new local envelope and its value in the caller's cache (and drop the
        one it replaces), so reading it in this process does not open it again."""
        if self.opened is None:
            return
        if row is not None and row.local is not None:
            self.opened.pop((item_id, row.local), None)
        if envelope is not None and value is not None:
            self.opened[(item_id, envelope)] = value

    def _index_conflict_mark(self, item_id: str, value: dict[str, Any] | None) -> None:
        """Keep the local list of conflict copies in step with the marks in the items."""
        if value is not None and "conflict_of" in value:
            self.store.note_conflict_copy(item_id, value)
            self._copy_ids.add(item_id)
        elif item_id in self._copy_ids:
            self.store.drop_conflict(item_id)
            self._copy_ids.discard(item_id)

    def _resolve(
        self,
        row: ItemRow,
        revision: int,
        remote_env: bytes | None,
        remote: dict[str, Any] | None,
        *,
        base_known: bool = True,
    ) -> None:
        """Storage moved on while this device edited ``row``: combine the two."""
        item_id = row.item_id
        if row.local is None:
            # Deleted here: an edit there wins (and the person is told); a deletion agrees.
            self.store.set_server_state(item_id, revision, remote_env, local=remote_env, dirty=False)
            if remote is not None:
                self.store.note_conflict_copy(item_id, remote)
                self.report.restored.append(ItemNote(item_id, str(remote.get("title", ""))))
            return
        if remote is None:
            # Deleted there, edited here: keep the edit, pushed over the tombstone.
            self.store.set_server_state(item_id, revision, None, local=row.local, dirty=True)
            return
        base = self._open_local(item_id, row.base) if base_known else None
        local = self._open_local(item_id, row.local)
        if local is None:
            self.store.set_server_state(item_id, revision, remote_env, local=remote_env, dirty=False)
            return
        result = merge_items(base, local, remote)
        self.report.merged += 1
        with self.store.transaction():
            if result.conflicts:
                self._keep_conflict_copy(item_id, local)
            self.store.note_conflict_copy(item_id, result.merged)
            if result.merged == remote:
                self.store.set_server_state(item_id, revision, remote_env, local=remote_env, dirty=False)
            else:
                merged_env = self._seal_local(item_id, result.merged)
                self.store.set_server_state(item_id, revision, remote_env, local=merged_env, dirty=True)

    def _keep_conflict_copy(self, item_id: str, local: dict[str, Any]) -> None:
        when = self.now().astimezone(UTC)
        title = conflict_title(str(local.get("title", "")), self.device_name, when.strftime("%Y-%m-%d %H:%M"))
        copy = dict(local)
        copy["title"] = title
        copy["conflict_of"] = item_id
        copy["conflict_from"] = self.device_name
        copy["conflict_at"] = when.isoformat()
        copy_id = new_item_id().hex()
        self.store.save_local(copy_id, self.cipher.seal_item(bytes.fromhex(copy_id), copy))
        record = ConflictRecord(item_id=item_id, copy_id=copy_id, title=title, created=when.isoformat())
        self.store.add_conflict(record)
        self.report.conflicts.append(record)

    # --- push -------------------------------------------------------------------------

    def _batches(self, rows: list[ItemRow]) -> list[list[ItemRow]]:
        """``rows`` in batches of at most :data:`PUSH_BATCH` items and :data:`PUSH_BATCH_CHARS`."""
        batches: list[list[ItemRow]] = []
        current: list[ItemRow] = []
        size = 0
        for row in rows:
            chars = envelope_chars(row.local) if row.local is not None else 0
            if current and (len(current) >= PUSH_BATCH or size + chars > PUSH_BATCH_CHARS):
                batches.append(current)
                current, size = [], 0
            current.append(row)
            size += chars
        if current:
            batches.append(current)
        return batches

    def push(self) -> None:
        outbox = self.store.outbox()
        total = len(outbox)
        done = 0
        refused: set[str] = set()
        for item_id in sorted(self._pending - set(outbox)):
            self._push_orphan(item_id)
        for _ in range(MAX_PUSH_ROUNDS):
            waiting = [i for i in self.store.outbox() if i not in refused]
            if not waiting:
                break
            rows = [r for r in (self.store.row(i) for i in waiting) if r]
            for batch in self._batches(rows):
                done += self._push_batch(batch, refused)
                if self.progress:
                    self.progress("push", done, max(total, done))
        if any(i not in refused for i in self.store.outbox()):
            raise ClientError(
                "other devices keep changing the same items; some edits are still waiting",
                hint="run `safehold sync` again",
            )

    def _push_orphan(self, item_id: str) -> None:
        """A sealed write whose item is no longer waiting: created here, then deleted before
        storage acknowledged it (the local vault forgets such an item). Its number is taken,
        and the next write names it, so it is sent all the same, and a tombstone follows:
        other devices then see the write they were told of, not a gap that looks withheld."""
        pending = self.store.pending(item_id)
        self._pending.discard(item_id)
        if pending is None or self.store.row(item_id) is not None:
            self.store.drop_pending(item_id)
            return
        record = Record(item_id, pending.base_revision + 1, self.device_id, pending.seq, pending.envelope,
                        pending.deleted)  # fmt: skip
        try:
            outcomes = self.transport.push([Write(record, pending.base_revision)])
        except StorageTooLarge:
            outcomes = []
        with self.store.transaction():
            self.store.drop_pending(item_id)
            answer = next((o for o in outcomes if o.item_id == item_id), None)
            if answer is not None and answer.accepted:
                mine = (record.revision, self.device_id, record.seq)
                self._seen[item_id] = mine
                self.store.set_seen(item_id, *mine)
                self._close(self.device_id, record.seq, pending.prev)
                if not pending.deleted:
                    # Deleted here: that deletion is pushed next, over this write.
                    self.store.set_server_state(
                        item_id, record.revision, pending.source, local=None, dirty=True
                    )
            elif answer is not None and answer.current is not None:
                self._take(answer.current)

    def _write_for(self, row: ItemRow) -> tuple[Write, PendingWrite]:
        """The write for ``row``: the pending one if it still stands for the same edit on
        the same revision (re-sent byte for byte), else a newly sealed and numbered one."""
        item_id = row.item_id
        pending = self.store.pending(item_id) if item_id in self._pending else None
        if pending is None or pending.base_revision != row.revision or pending.source != row.local:
            value = self._open_local(item_id, row.local)
            deleted = value is None
            revision = row.revision + 1
            seq, prev = self.store.next_write(item_id, revision)
            claims = WriteClaims(item_id, revision, self.device_id, seq, deleted)
            envelope = self.writes.seal(claims, value, prev)
            pending = PendingWrite(item_id, row.revision, seq, deleted, envelope, row.local, prev)
            self.store.set_pending(pending)
            self._pending.add(item_id)
        record = Record(item_id, pending.base_revision + 1, self.device_id, pending.seq, pending.envelope,
                        pending.deleted)  # fmt: skip
        return Write(record, pending.base_revision), pending

    def _push_batch(self, rows: list[ItemRow], refused: set[str]) -> int:
        """Push ``rows``; when storage says too large, split until the item at fault is found."""
        with self.store.transaction():
            prepared = [self._write_for(r) for r in rows]
        try:
            outcomes = self.transport.push([w for w, _ in prepared])
        except StorageTooLarge:
            if len(rows) > 1:
                half = len(rows) // 2
                return self._push_batch(rows[:half], refused) + self._push_batch(rows[half:], refused)
            self._reject(rows[0], refused)
            return 1
        sent = {w.record.item_id: (row, w, p) for row, (w, p) in zip(rows, prepared, strict=True)}
        answered: set[str] = set()
        with self.store.transaction():
            for outcome in outcomes:
                if outcome.item_id not in sent or outcome.item_id in answered:
                    self._refuse(outcome.item_id, "", "storage answered for a write this device did not send")
                    continue
                answered.add(outcome.item_id)
                row, write, pending = sent[outcome.item_id]
                self._settle(row, write, pending, outcome, refused)
            for item_id in sent.keys() - answered:
                refused.add(item_id)
                self._refuse(item_id, "", "storage gave no answer for this write; it stays waiting")
            self._save_writers()
        return len(rows)

    def _reject(self, row: ItemRow, refused: set[str]) -> None:
        refused.add(row.item_id)
        value = self._open_local(row.item_id, row.local) if row.local is not None else None
        self.report.rejected.append(ItemNote(row.item_id, str((value or {}).get("title", ""))))

    def _settle(
        self, row: ItemRow, write: Write, pending: PendingWrite, outcome: WriteOutcome, refused: set[str]
    ) -> None:
        item_id = row.item_id
        record = write.record
        if outcome.accepted:
            self.report.pushed += 1
            mine = (record.revision, self.device_id, record.seq)
            self._seen[item_id] = mine
            self.store.set_seen(item_id, *mine)
            self._close(self.device_id, record.seq, pending.prev)
            self._release(item_id, record.revision)
            self.store.drop_pending(item_id)
            self._pending.discard(item_id)
            self.store.set_server_state(item_id, record.revision, row.local, local=row.local, dirty=False)
            return
        # Refused: this sealed write can never be accepted now (its number is not re-used).
        self.store.drop_pending(item_id)
        self._pending.discard(item_id)
        current = outcome.current
        if current is None:
            seen = self._seen.get(item_id)
            if seen is not None:
                refused.add(item_id)
                self._refuse(item_id, "", f"storage claims it has no such item, but this device saw revision "
                                          f"{seen[0]}; the edit stays waiting")  # fmt: skip
                return
            # Storage has no state to compare with; try again as a creation.
            self.store.set_server_state(item_id, 0, None, local=row.local, dirty=True)
            return
        before = self._seen.get(item_id)
        if current.item_id != item_id:
            current = Record(item_id, current.revision, current.device, current.seq, current.envelope,
                             current.deleted)  # fmt: skip
        self._take(current)
        if self._seen.get(item_id) == before:
            # Nothing newer was shown, so pushing again would only be refused again.
            refused.add(item_id)
            self._refuse(item_id, current.device, "storage refused the write without showing a newer state; "
                                                  "the edit stays waiting")  # fmt: skip
