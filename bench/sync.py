"""The cost of the vault log's checks per pulled item (issue 10, "Figures"), printed, not
asserted: a first sync of N items by the v2 engine (open each record with its claims, check
revision and write numbers, keep the bookkeeping, store the item) against what the version 1
engine did per pulled item (open the item, store it), in the same run (target: v2 at most
1.1x v1 per item).

    python bench/sync.py              # 5,000 items, 7 rounds
    python bench/sync.py --quick      # 1,000 items, 3 rounds

Method: both sides pull the same items from storage in this process, through the memory
transport (no network, so the figure is the client's own work), into a fresh local vault
each time, in pages of 1,000, as each engine does it: v1 committed every page, the v2 engine
commits every 5,000 records (whole pages, fetched first). The baseline
is the v1 engine's pull loop as it was (per change: look up the row, store the state, open
the item for its conflict mark), reproduced here since v1 is gone from the client, over the
same items as v1 records, into today's vault file (which keeps an item in step with storage
once); the same loop writing each envelope twice, as the version 1 vault file did, is
printed beside it. Rounds alternate which side runs first (A B B A ...), so load from
elsewhere falls on all alike. Peak memory
is Python's own allocations during the pull (tracemalloc).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from safehold.client.store import VaultStore  # noqa: E402
from safehold.client.sync import PULL_PAGE, SyncEngine  # noqa: E402
from safehold.client.transport import Record  # noqa: E402
from safehold.client.transports.memory import MemoryStorage, MemoryTransport  # noqa: E402
from safehold.crypto import VaultCipher, WriteCipher, WriteClaims, new_vault_key, prev_ref  # noqa: E402


def _item(n: int) -> dict[str, object]:
    return {
        "v": 1, "type": "login", "title": f"Site {n:05d}",
        "fields": {"username": f"user{n}@example.com", "password": secrets.token_urlsafe(18),
                   "url": f"https://site{n}.example.com/login"},
        "custom": [], "tags": ["bench"], "favorite": False, "notes": "",
        "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "history": [],
    }  # fmt: skip


class Fixture:
    def __init__(self, n: int, root: Path) -> None:
        self.root = root
        self.account = uuid.uuid4().hex
        self.vk = new_vault_key()
        account = bytes.fromhex(self.account)
        v1 = VaultCipher(self.vk, account, 1)
        v2 = WriteCipher(self.vk, account, 1)
        writer = secrets.token_hex(16)
        self.storage = MemoryStorage()
        #: The same items as version 1 records, in storage of their own.
        self.v1_storage = MemoryStorage()
        self.v1_records: list[tuple[str, int, bytes]] = []
        prev: str | None = None
        for n_ in range(n):
            item_id = secrets.token_hex(16)
            value = _item(n_)
            self.v1_records.append((item_id, 1, v1.seal_item(bytes.fromhex(item_id), value)))
            self.v1_storage.seq += 1
            v1_record = Record(item_id, 1, "", 0, self.v1_records[-1][2])
            self.v1_storage.items[item_id] = (self.v1_storage.seq, v1_record)
            env = v2.seal(WriteClaims(item_id, 1, writer, n_ + 1, False), value, prev)
            prev = prev_ref(item_id, 1)
            self.storage.seq += 1
            self.storage.items[item_id] = (self.storage.seq, Record(item_id, 1, writer, n_ + 1, env))
        self.runs = 0

    def store(self) -> VaultStore:
        self.runs += 1
        meta = {"server": "bench", "email": "b@example.com", "account_id": self.account, "generation": "1",
                "device_id": secrets.token_hex(16), "device_name": "bench"}  # fmt: skip
        return VaultStore.create(self.root / f"vault{self.runs}.db", meta)


def v1_pull(fx: Fixture) -> None:
    """The version 1 engine's pull of the same items (client/sync.py before issue 10)."""
    store = fx.store()
    cipher = VaultCipher(fx.vk, bytes.fromhex(fx.account), 1)
    copies: set[str] = set()
    transport = MemoryTransport(fx.v1_storage)
    cursor, more = "", True
    while more:
        page = transport.pull(cursor, PULL_PAGE)
        cursor, more = page.cursor, page.has_more
        with store.transaction():
            for record in page.records:
                item_id, revision, envelope = record.item_id, record.revision, record.envelope
                row = store.row(item_id)
                if row is not None and row.revision >= revision:
                    continue
                store.set_server_state(item_id, revision, envelope, local=envelope, dirty=False)
                value = cipher.open_item(bytes.fromhex(item_id), envelope)
                if isinstance(value, dict) and "conflict_of" in value:
                    store.note_conflict_copy(item_id, value)
                elif item_id in copies:
                    store.drop_conflict(item_id)
            store.sync_cursor = cursor
    store.close()


def v1_pull_two_copies(fx: Fixture) -> None:
    """:func:`v1_pull` writing each item as the version 1 vault file did: the envelope twice
    (``local`` and ``base``), where today's file keeps an item in step with storage once."""
    real = VaultStore.set_server_state

    def two_copies(store: VaultStore, item_id: str, revision: int, envelope: bytes | None, *,
                   local: bytes | None, dirty: bool) -> None:  # fmt: skip
        store._db.execute(
            "INSERT INTO items(item_id, local, base, revision) VALUES (?, ?, ?, ?) ON CONFLICT(item_id) "
            "DO UPDATE SET local = excluded.local, base = excluded.base, revision = excluded.revision",
            (item_id, local, envelope, revision),
        )
        store._db.execute("DELETE FROM outbox WHERE item_id = ?", (item_id,))

    VaultStore.set_server_state = two_copies  # type: ignore[method-assign]
    try:
        v1_pull(fx)
    finally:
        VaultStore.set_server_state = real  # type: ignore[method-assign]


def v2_pull(fx: Fixture) -> None:
    store = fx.store()
    report = SyncEngine(store, MemoryTransport(fx.storage), fx.vk).sync()
    assert report.pulled == len(fx.v1_records) and not report.refused and not report.quarantined
    store.close()


def timed(fn: Callable[[Fixture], None], fx: Fixture) -> float:
    t0 = time.perf_counter()
    fn(fx)
    return time.perf_counter() - t0


def peak(fn: Callable[[Fixture], None], fx: Fixture) -> int:
    """Peak Python allocations of one run (a run of its own: tracing slows what it traces)."""
    tracemalloc.start()
    fn(fx)
    found = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.items, args.rounds = 1000, 3
    with tempfile.TemporaryDirectory(prefix="safehold-bench-sync-") as tmp:
        fx = Fixture(args.items, Path(tmp))
        times: dict[str, list[float]] = {"v1": [], "v2": [], "v1-two-copies": []}
        sides = [("v1", v1_pull), ("v2", v2_pull), ("v1-two-copies", v1_pull_two_copies)]
        for r in range(args.rounds):
            for name, fn in sides if r % 2 == 0 else sides[::-1]:
                times[name].append(timed(fn, fx))
        peaks = {name: peak(fn, fx) for name, fn in sides[:2]}
        opens = open_costs(fx, args.rounds)
    n = args.items
    print(f"first sync of {n:,} items, {args.rounds} rounds (medians, per pulled item)")
    for name in ("v1", "v2"):
        med = statistics.median(times[name])
        heap = peaks[name] / 1024
        print(f"  {name}: {med * 1e6 / n:8.1f} us/item  ({med:.3f} s)  peak {heap:.0f} KiB (Python heap)")
    ratio = statistics.median(times["v2"]) / statistics.median(times["v1"])
    print(f"  v2 / v1: {ratio:.2f}x  (target <= 1.1x)")
    old = statistics.median(times["v1-two-copies"])
    print(f"  v1 writing each envelope twice, as its vault file did: {old * 1e6 / n:.1f} us/item; "
          f"v2 / that: {statistics.median(times['v2']) / old:.2f}x")  # fmt: skip
    o1, o2 = (statistics.median(opens[k]) * 1e6 / n for k in ("v1", "v2"))
    print(f"  of which opening alone: v1 {o1:.1f} us/item, v2 {o2:.1f} us/item (padding, claims, prev)")


def open_costs(fx: Fixture, rounds: int) -> dict[str, list[float]]:
    """Opening the same items alone, v1 (item AD) against v2 (claims, padding, body), interleaved:
    the part of the ratio that the format itself costs, whatever the engine does around it."""
    account = bytes.fromhex(fx.account)
    v1, v2 = VaultCipher(fx.vk, account, 1), WriteCipher(fx.vk, account, 1)
    records = [r for _, r in fx.storage.items.values()]

    def open_v1() -> None:
        for item_id, _, envelope in fx.v1_records:
            v1.open_item(bytes.fromhex(item_id), envelope)

    def open_v2() -> None:
        for r in records:
            v2.open(WriteClaims(r.item_id, r.revision, r.device, r.seq, r.deleted), r.envelope)

    out: dict[str, list[float]] = {"v1": [], "v2": []}
    pair = [("v1", open_v1), ("v2", open_v2)]
    for r in range(rounds):
        for name, fn in pair if r % 2 == 0 else pair[::-1]:
            t0 = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - t0)
    return out


if __name__ == "__main__":
    main()
