"""Crypto figures (issue: foundation). Prints, never asserts.

    python bench/crypto.py [--items 10000] [--rounds 5] [--quick]

- unlock at the default Argon2id cost (derive keys + open the keyset), median of N;
- items sealed and opened per second, 10,000 items of about 1 KB;
- the ratio of our open loop to bare ``AESGCM.decrypt`` over the same envelopes (the
  physical limit in this language; target ≤ 1.5×), with and without JSON decoding;
- peak memory beside each time.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import statistics
import time
import tracemalloc
from collections.abc import Callable
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


def measure(fn: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """Median seconds over ``rounds``, then peak Python-heap MiB from one more traced run
    (tracing slows allocation, so it stays out of the timed runs)."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak


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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="cheap KDF and 1,000 items")
    args = parser.parse_args()
    params = KdfParams(1, 8, 1) if args.quick else DEFAULT_PARAMS
    n_items = 1_000 if args.quick else args.items
    policy = KdfPolicy(floor=KdfParams(1, 8, 1))

    account_id, kdf_salt, key = os.urandom(16), os.urandom(16), AccountKey.generate()
    vk = new_vault_key()
    first = derive_keys(email="bench@example.com", password="correct horse", account_key_secret=key.secret,
                        account_id=account_id, kdf_salt=kdf_salt, params=params, policy=policy)
    keyset = seal_keyset(first.auk, vk, account_id, 1)

    def unlock() -> None:
        dk = derive_keys(email="bench@example.com", password="correct horse", account_key_secret=key.secret,
                         account_id=account_id, kdf_salt=kdf_salt, params=params, policy=policy)
        open_keyset(dk.auk, keyset, account_id, 1)

    t_unlock, m_unlock = measure(unlock, args.rounds)
    print(f"unlock (t={params.t}, m={params.m_kib} KiB, p={params.p}): median {t_unlock * 1000:.1f} ms "
          f"over {args.rounds}, peak traced {m_unlock:.1f} MiB")

    cipher = VaultCipher(vk, account_id, 1)
    items = [(new_item_id(), make_item(i)) for i in range(n_items)]
    sealed: list[tuple[bytes, bytes]] = []

    def seal_all() -> None:
        sealed.clear()
        sealed.extend((item_id, cipher.seal_item(item_id, item)) for item_id, item in items)

    t_seal, m_seal = measure(seal_all, args.rounds)
    avg = sum(len(env) for _, env in sealed) / len(sealed)
    print(f"seal {n_items} items (avg envelope {avg:.0f} B): median {t_seal * 1000:.1f} ms, "
          f"{n_items / t_seal:,.0f} items/s, peak {m_seal:.1f} MiB")

    ads = [item_ad(account_id, item_id, 1) for item_id, _ in sealed]
    bare = AESGCM(vk)
    key_obj = EnvelopeKey(vk)

    def bare_loop() -> None:
        for (_, env), ad in zip(sealed, ads, strict=True):
            bare.decrypt(env[1:13], env[13:], ad)

    def envelope_loop() -> None:
        for (_, env), ad in zip(sealed, ads, strict=True):
            key_obj.open(env, ad)

    def item_loop() -> None:
        for item_id, env in sealed:
            cipher.open_item(item_id, env)

    t_bare, m_bare = measure(bare_loop, args.rounds)
    t_env, m_env = measure(envelope_loop, args.rounds)
    t_item, m_item = measure(item_loop, args.rounds)
    print(f"open, bare AESGCM.decrypt:            median {t_bare * 1000:.1f} ms, {n_items / t_bare:,.0f}/s, "
          f"peak {m_bare:.1f} MiB")
    print(f"open, EnvelopeKey.open (ours):        median {t_env * 1000:.1f} ms, {n_items / t_env:,.0f}/s, "
          f"peak {m_env:.1f} MiB, ratio {t_env / t_bare:.2f}x (target <= 1.5x)")
    print(f"open, VaultCipher.open_item (+AD +JSON): median {t_item * 1000:.1f} ms, "
          f"{n_items / t_item:,.0f}/s, peak {m_item:.1f} MiB, ratio {t_item / t_bare:.2f}x")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MiB (includes Argon2id's {params.m_kib // 1024} MiB)")


if __name__ == "__main__":
    main()
