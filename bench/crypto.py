"""Crypto figures (issue 2: foundation). Prints, never asserts.

    python bench/crypto.py [--items 10000] [--rounds 15] [--unlock-rounds 5] [--quick]

- unlock at the default Argon2id cost (derive keys + open the keyset): median time, and the
  growth of the process's peak RSS, since Argon2id's memory is allocated natively, where
  tracemalloc cannot see it;
- items sealed per second, 10,000 items of about 1 KB;
- the open loop against its physical limit in this language, bare ``AESGCM.decrypt`` over
  the same envelopes (target: ours within 1.5x), and ``VaultCipher.open_item`` against bare
  decrypt + ``json.loads``. The loops are interleaved round by round, in alternating order,
  so a machine that gets faster or slower during the run affects both sides of a ratio
  alike; each ratio is the median of the per-round ratios. Unlock is wall time (Argon2id
  may use several threads); sealing and the open loops are this process's CPU time (see
  :func:`interleave`).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import secrets
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safehold.crypto import (
    DEFAULT_PARAMS,
    AccountKey,
    EnvelopeKey,
    KdfParams,
    KdfPolicy,
    VaultCipher,
    derive_keys,
    item_ad,
    new_item_id,
    new_vault_key,
    open_keyset,
    seal_keyset,
)

MIN_INTERLEAVED_ROUNDS = 11
TARGET_RATIO = 1.5


def peak_rss_mib() -> float:
    """The process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def traced_peak_mib(fn: Callable[[], Any]) -> float:
    """Peak Python-heap MiB of one more run; tracing slows allocation, so it is never timed."""
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def timed(fn: Callable[[], Any], clock: Callable[[], float] = time.perf_counter) -> float:
    gc.collect()
    start = clock()
    fn()
    return clock() - start


@dataclass
class Loop:
    name: str
    fn: Callable[[], Any]
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def interleave(loops: list[Loop], rounds: int) -> None:
    """Run every loop once per round; odd rounds in reverse order, so neither side of a
    ratio always runs first (warm caches, frequency scaling). Timed in this process's CPU
    time: these loops are single-threaded and CPU-bound, and on a shared machine wall time
    would also count the moments another process held the core."""
    for loop in loops:  # warm-up, untimed
        loop.fn()
    for r in range(rounds):
        for loop in loops if r % 2 == 0 else reversed(loops):
            loop.times.append(timed(loop.fn, time.process_time))


def ratios(ours: Loop, base: Loop) -> list[float]:
    return [o / b for o, b in zip(ours.times, base.times, strict=True)]


def make_item(i: int) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "login",
        "title": f"Item {i}",
        "fields": {"website": f"https://site{i}.example.com/login", "username": f"user{i}@example.com",
                   "password": secrets.token_urlsafe(24)},
        "notes": secrets.token_hex(400),
        "tags": ["work", "bench"],
        "favorite": False,
    }  # fmt: skip


def table(rows: list[list[str]]) -> str:
    """Left-aligned text columns, numbers right-aligned, one header rule."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    numeric = [1, 2, 3]

    def line(r: list[str]) -> str:
        pairs = enumerate(zip(r, widths, strict=True))
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in pairs).rstrip()

    rule = "-" * len(line(["-" * w for w in widths]))
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])])


def figures(name: str, median_s: float, n: int, ratio: str, memory: str) -> list[str]:
    per_item = f"{median_s / n * 1e6:.2f}" if n > 1 else ""
    rate = f"{n / median_s:,.0f}" if n > 1 else ""
    return [name, f"{median_s * 1000:.1f}", per_item, rate, ratio, memory]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument(
        "--rounds", type=int, default=15, help=f"interleaved open rounds (at least {MIN_INTERLEAVED_ROUNDS})"
    )
    parser.add_argument("--unlock-rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="cheap KDF and 1,000 items")
    args = parser.parse_args()
    if args.rounds < MIN_INTERLEAVED_ROUNDS:
        parser.error(f"--rounds must be at least {MIN_INTERLEAVED_ROUNDS} for a stable median ratio")
    params = KdfParams(1, 8, 1) if args.quick else DEFAULT_PARAMS
    n_items = 1_000 if args.quick else args.items
    policy = KdfPolicy(floor=KdfParams(1, 8, 1))
    account_id, kdf_salt, key = os.urandom(16), os.urandom(16), AccountKey.generate()
    vk = new_vault_key()

    def derive() -> bytes:
        dk = derive_keys(email="bench@example.com", password="correct horse", account_key_secret=key.secret,
                         account_id=account_id, kdf_salt=kdf_salt, params=params, policy=policy)  # fmt: skip
        return dk.auk

    # Unlock first: nothing before it has raised the peak RSS, so the growth is its own.
    rss_before = peak_rss_mib()
    keyset = seal_keyset(derive(), vk, account_id, 1)

    def unlock() -> None:
        open_keyset(derive(), keyset, account_id, 1)

    unlock_times = [timed(unlock) for _ in range(args.unlock_rounds)]
    rss_growth = peak_rss_mib() - rss_before

    cipher = VaultCipher(vk, account_id, 1)
    items = [(new_item_id(), make_item(i)) for i in range(n_items)]
    sealed: list[tuple[bytes, bytes]] = []

    def seal_all() -> None:
        sealed.clear()
        sealed.extend((item_id, cipher.seal_item(item_id, item)) for item_id, item in items)

    seal_times = [timed(seal_all, time.process_time) for _ in range(args.unlock_rounds)]
    avg_env = sum(len(env) for _, env in sealed) / len(sealed)

    ads = [item_ad(account_id, item_id, 1) for item_id, _ in sealed]
    pairs = [(env, ad) for (_, env), ad in zip(sealed, ads, strict=True)]
    bare = AESGCM(vk)
    envelope_key = EnvelopeKey(vk)

    def bare_decrypt() -> None:
        for env, ad in pairs:
            bare.decrypt(env[1:13], env[13:], ad)

    def ours_open() -> None:
        for env, ad in pairs:
            envelope_key.open(env, ad)

    def bare_decrypt_json() -> None:
        for env, ad in pairs:
            json.loads(bare.decrypt(env[1:13], env[13:], ad))

    def ours_open_item() -> None:
        for item_id, env in sealed:
            cipher.open_item(item_id, env)

    loops = [
        Loop("bare AESGCM.decrypt", bare_decrypt),
        Loop("EnvelopeKey.open (ours)", ours_open),
        Loop("bare AESGCM.decrypt + json.loads", bare_decrypt_json),
        Loop("VaultCipher.open_item (ours: AD + JSON)", ours_open_item),
    ]
    interleave(loops, args.rounds)
    b, o, bj, oi = loops
    r_open, r_item = ratios(o, b), ratios(oi, bj)

    def ratio_text(rs: list[float], vs: str) -> str:
        return f"{statistics.median(rs):.2f}x {vs} [{min(rs):.2f}-{max(rs):.2f}]"

    def heap(fn: Callable[[], Any]) -> str:
        return f"heap peak {traced_peak_mib(fn):.1f} MiB"

    rows = [
        ["operation", "median ms", "us/item", "items/s", "ratio: median [min-max]", "memory"],
        figures(f"unlock (derive + open keyset), {args.unlock_rounds} runs", statistics.median(unlock_times),
                1, "", f"peak RSS +{rss_growth:.0f} MiB"),
        figures(f"seal_item x {n_items:,}", statistics.median(seal_times), n_items, "", heap(seal_all)),
        figures(b.name, b.median, n_items, "baseline", heap(bare_decrypt)),
        figures(o.name, o.median, n_items, ratio_text(r_open, "vs bare"), heap(ours_open)),
        figures(bj.name, bj.median, n_items, "baseline", heap(bare_decrypt_json)),
        figures(oi.name, oi.median, n_items, ratio_text(r_item, "vs bare+json"), heap(ours_open_item)),
    ]  # fmt: skip
    print(f"Safehold crypto bench: {n_items:,} items of ~{avg_env:.0f} B, Argon2id t={params.t} "
          f"m={params.m_kib} KiB p={params.p}; {args.rounds} interleaved open rounds; unlock in wall "
          "time, the rest in CPU time\n")  # fmt: skip
    print(table(rows))
    verdict = "within" if statistics.median(r_open) <= TARGET_RATIO else "OVER"
    print(f"\nopen loop: {statistics.median(r_open):.2f}x bare AES-GCM, {verdict} the {TARGET_RATIO}x "
          f"target. Process peak RSS {peak_rss_mib():.0f} MiB; unlock's growth is mostly Argon2id's "
          f"native {params.m_kib / 1024:.0f} MiB, which tracemalloc cannot see.")  # fmt: skip


if __name__ == "__main__":
    main()
