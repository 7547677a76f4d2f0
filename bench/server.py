"""Server figures (issue 3), printed, not asserted.

    python bench/server.py            # SQLite, and PostgreSQL if SAFEHOLD_TEST_DATABASE_URL is set
    python bench/server.py --quick    # the same, smaller: under a minute

For each database: SRP sign-in finishes per second and empty delta syncs per second at
1, 10 and 50 concurrent clients (median and p99 latency); an empty sync on a large vault
against a small one; a full first sync of the large vault against a bare SELECT plus
JSON encoding of the same rows. Beside every figure: the peak resident memory of the
server process during that measurement (Linux's VmHWM, reset before each one through
/proc/<pid>/clear_refs; "since start" where the reset is not allowed).

Ratios compare medians of many samples taken interleaved (A, B, B, A, ...), so a burst
of load from elsewhere on the machine hits both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.accounts import (
    API,
    Session,
    TestAccount,
    new_device_id,
    prove,
    push,
    signup,
)
from tests.support.server import ServerHandle, run_server


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f} ms"


class PeakRss:
    """Peak resident memory of one process over a measurement.

    Writing "5" to /proc/<pid>/clear_refs resets its high-water mark (Linux ≥ 4.0), so
    VmHWM read afterwards is the peak of just that measurement."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.since_start = False

    def __enter__(self) -> PeakRss:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            self.since_start = True
        return self

    def __exit__(self, *_exc: object) -> None:
        self.mib = self._read()

    def _read(self) -> float:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def __str__(self) -> str:
        return f"peak RSS {self.mib:4.0f} MiB{' (since start)' if self.since_start else ''}"


def run_concurrent(clients: int, calls: list[Callable[[], float]]) -> tuple[float, list[float]]:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = list(pool.map(lambda call: call(), calls))
    return time.perf_counter() - start, latencies


def report(label: str, wall: float, latencies: list[float], peak: PeakRss) -> None:
    rate = len(latencies) / wall
    print(
        f"  {label:34} {rate:8.1f}/s  median {fmt_ms(statistics.median(latencies))}"
        f"  p99 {fmt_ms(pct(latencies, 0.99))}  server {peak}"
    )


def fill(http: httpx.Client, session: Session, account: TestAccount, count: int, size: int = 1000) -> None:
    padding = "x" * max(0, size - 120)
    for start in range(0, count, 500):
        writes = []
        for _ in range(min(500, count - start)):
            item_id = secrets.token_hex(16)
            writes.append(
                {"item_id": item_id, "base_revision": 0, "envelope": account.seal(item_id, {"p": padding})}
            )
        response = push(http, session, writes)
        response.raise_for_status()


def signin_bench(server: ServerHandle, clients: int, total: int) -> None:
    account = TestAccount.new()
    with server.client() as http:
        signup(http, account)
        devices = [new_device_id() for _ in range(clients)]
        proofs = [(prove(http, account), devices[i % clients]) for i in range(total)]

    def finish(index: int) -> Callable[[], float]:
        proof, device = proofs[index]

        def call() -> float:
            start = time.perf_counter()
            response = httpx.post(
                f"{server.base_url}{API}/auth/finish",
                json={
                    "login_id": proof.login_id,
                    "A": proof.A,
                    "M1": proof.M1,
                    "device_id": device,
                    "device_name": "bench",
                },
                timeout=60,
            )
            response.raise_for_status()
            return time.perf_counter() - start

        return call

    with PeakRss(server.process.pid) as peak:
        wall, latencies = run_concurrent(clients, [finish(i) for i in range(total)])
    report(f"sign-in (SRP finish), {clients} clients", wall, latencies, peak)


def sync_bench(server: ServerHandle, session: Session, cursor: int, clients: int, total: int) -> None:
    local = __import__("threading").local()

    def call() -> float:
        if not hasattr(local, "http"):
            local.http = server.client()
        start = time.perf_counter()
        response = local.http.get(f"{API}/vault/changes", params={"since": cursor}, headers=session.headers())
        response.raise_for_status()
        return time.perf_counter() - start

    with PeakRss(server.process.pid) as peak:
        wall, latencies = run_concurrent(clients, [call] * total)
    report(f"empty delta sync, {clients} clients", wall, latencies, peak)


def sync_once(http: httpx.Client, session: Session, cursor: int) -> float:
    start = time.perf_counter()
    http.get(f"{API}/vault/changes", params={"since": cursor}, headers=session.headers()).raise_for_status()
    return time.perf_counter() - start


def interleaved(
    a: Callable[[], float], b: Callable[[], float], pairs: int
) -> tuple[list[float], list[float]]:
    """``pairs`` samples of each, alternating which goes first: A B B A A B ..."""
    samples_a: list[float] = []
    samples_b: list[float] = []
    for index in range(pairs):
        if index % 2:
            samples_b.append(b())
            samples_a.append(a())
        else:
            samples_a.append(a())
            samples_b.append(b())
    return samples_a, samples_b


#: Rows per page in a full sync, for our endpoint and the baseline alike (the API's maximum).
PAGE = 1000


def full_sync(http: httpx.Client, session: Session, expected: int) -> tuple[float, float]:
    """A first sync over HTTP, as a client does it: every page fetched and parsed.
    Returns the whole time and the part of it the client spent parsing JSON."""
    start = time.perf_counter()
    parsing = 0.0
    cursor, count = 0, 0
    while True:
        response = http.get(
            f"{API}/vault/changes",
            params={"since": cursor, "limit": PAGE},
            headers=session.headers(),
        )
        parse_start = time.perf_counter()
        page = json.loads(response.content)
        parsing += time.perf_counter() - parse_start
        count += len(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    elapsed = time.perf_counter() - start
    assert count == expected
    return elapsed, parsing


def bare_sync(engine: Engine, account_id: str, expected: int) -> float:
    """The floor: the same rows read with a bare SELECT and encoded as the same JSON, page
    by page, in-process (no HTTP, no session check, no parsing on the other end)."""
    with engine.connect() as conn:
        start = time.perf_counter()
        cursor, count = 0, 0
        while True:
            rows = conn.execute(
                text(
                    "SELECT item_id, seq, revision, envelope, updated_at FROM items "
                    "WHERE account_id = :a AND seq > :c ORDER BY seq LIMIT :n"
                ),
                {"a": account_id, "c": cursor, "n": PAGE + 1},
            ).all()
            has_more = len(rows) > PAGE
            rows = rows[:PAGE]
            cursor = rows[-1][1] if rows else cursor
            json.dumps(
                {
                    "generation": 1,
                    "changes": [
                        {
                            "item_id": r[0],
                            "seq": r[1],
                            "revision": r[2],
                            "deleted": r[3] is None,
                            "envelope": r[3],
                            "updated_at": str(r[4]),
                        }
                        for r in rows
                    ],
                    "cursor": cursor,
                    "has_more": has_more,
                }
            )
            count += len(rows)
            if not has_more:
                break
        elapsed = time.perf_counter() - start
    assert count == expected
    return elapsed


def bench_database(name: str, database_url: str | None, quick: bool, tmp: Path) -> None:
    big = 2_000 if quick else 10_000
    small = 100
    levels = [1, 10] if quick else [1, 10, 50]
    per_level = 40 if quick else 200
    print(f"\n== {name}")
    env = {
        "SAFEHOLD_LOG_LEVEL": "WARNING",
        # One address signs in hundreds of times a minute here: lift the per-client
        # limit (its bookkeeping still runs, and is measured) ...
        "SAFEHOLD_START_LIMIT_PER_CLIENT": "1000000",
        # ... and let 50 sign-ins be in flight at once: each counts as a failure until
        # its proof checks out, so the back-off would answer 429 after five.
        "SAFEHOLD_LOGIN_FREE_FAILURES": "1000000",
    }
    with run_server(tmp, database_url=database_url, extra_env=env) as server:
        for clients in levels:
            signin_bench(server, clients, per_level if clients > 1 else per_level // 2)

        with server.client() as http:
            small_account, big_account = TestAccount.new(), TestAccount.new()
            small_session, big_session = signup(http, small_account), signup(http, big_account)
            fill(http, small_session, small_account, small)
            t0 = time.perf_counter()
            fill(http, big_session, big_account, big)
            print(f"  (filled {big} items of ~1 KB in {time.perf_counter() - t0:.1f} s)")
            # Each account's writes are numbered 1..n, so n is the cursor of an empty sync.
            small_cursor, big_cursor = small, big

            for clients in levels:
                sync_bench(server, big_session, big_cursor, clients, per_level * 2)

            # Alternating single requests, so the two medians see the same machine.
            pairs = 100 if quick else 400
            with PeakRss(server.process.pid) as peak:
                bigs, smalls = interleaved(
                    lambda: sync_once(http, big_session, big_cursor),
                    lambda: sync_once(http, small_session, small_cursor),
                    pairs,
                )
            t_big, t_small = statistics.median(bigs), statistics.median(smalls)
            print(
                f"  empty sync, {big} vs {small} items: {fmt_ms(t_big)} vs {fmt_ms(t_small)}"
                f"  ratio {t_big / t_small:.2f}x (target ≤ 1.2x; medians of {pairs} interleaved pairs;"
                f" p90 {fmt_ms(pct(bigs, 0.9))} vs {fmt_ms(pct(smalls, 0.9))})  server {peak}"
            )

            # Whole syncs, interleaved with the baseline, medians compared: on a shared
            # machine one sample of either is mostly noise.
            repeats = 3 if quick else 9
            engine = create_engine(server.database_url)
            parse_times: list[float] = []

            def ours() -> float:
                elapsed, parsing = full_sync(http, big_session, big)
                parse_times.append(parsing)
                return elapsed

            try:
                bare_sync(engine, big_account.account_id, big)  # warm the connection pool
                with PeakRss(server.process.pid) as peak, PeakRss(os.getpid()) as own_peak:
                    fulls, bares = interleaved(
                        ours, lambda: bare_sync(engine, big_account.account_id, big), repeats
                    )
            finally:
                engine.dispose()
        full, bare = statistics.median(fulls), statistics.median(bares)
        parse = statistics.median(parse_times)
        print(
            f"  full first sync of {big} items: {full:.3f} s vs bare SELECT+JSON {bare:.3f} s"
            f"  ratio {full / bare:.2f}x (target ≤ 2x)  server {peak}"
        )
        print(
            f"    (median of {repeats}, interleaved; both in pages of {PAGE} rows in seq order, same"
            f" JSON shape. Ours: HTTP to 127.0.0.1, session check, and the client's JSON parse,"
            f" {parse:.3f} s of it, i.e. {(full - parse) / bare:.2f}x without; baseline: in-process,"
            f" no HTTP, no auth, no parse, bench process {own_peak})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller figures, under a minute")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    pg = os.environ.get("SAFEHOLD_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="safehold-bench-") as tmp:
        bench_database("SQLite", None, args.quick, Path(tmp))
        if pg and not args.sqlite_only:
            bench_database("PostgreSQL", pg, args.quick, Path(tmp))
        elif not pg:
            print("\n(PostgreSQL skipped: set SAFEHOLD_TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()
