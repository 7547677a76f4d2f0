"""What the server shows for an email address that has no account (spec/api.md "Sign-in").

Everything is derived from the server secret and the address, so it is stable across calls
and processes, and shaped like a real account's:

* ``account_id``: a UUIDv4 whose second half is a MAC of its first half. Nobody without the
  secret can tell it from a client's random UUIDv4, but the server can: sign-up refuses such
  an id exactly as it refuses one in use, so signing up with the id ``auth/start`` returned
  does not tell a real account from a fake one (a client's random id matches by chance with
  probability 2^-58).
* ``kdf_salt``: 16 bytes of HMAC.
* the verifier: an HKDF output reduced mod N (not ``g^x``: no exponentiation, so an unknown
  address costs the server exactly what a real one does).
* ``kdf_params``: drawn, by a MAC of the address, from the parameters real accounts on this
  server have, weighted by how many have them. Always showing the defaults would single out
  every real account with other parameters.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import uuid
from collections.abc import Callable, Sequence

from safehold import wire
from safehold.crypto import GROUP_3072, hkdf

#: Seconds the parameter distribution of real accounts is reused before it is read again.
DISTRIBUTION_TTL = 300.0

Distribution = Sequence[tuple[wire.KdfParams, int]]


class FakeAccounts:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._lock = threading.Lock()
        self._distribution: tuple[float, Distribution] | None = None

    def _mac(self, label: str, data: bytes) -> bytes:
        return hmac.new(self._secret, label.encode() + b"|" + data, hashlib.sha256).digest()

    # --- account ids ----------------------------------------------------------------------

    def _tail(self, head: bytes) -> bytes:
        tail = bytearray(self._mac("fake-id-tag", head)[:8])
        tail[0] = (tail[0] & 0x3F) | 0x80  # the RFC 4122 variant bits, as uuid4 has them
        return bytes(tail)

    def account_id(self, email: str) -> str:
        head = bytearray(self._mac("account-id", email.encode())[:8])
        head[6] = (head[6] & 0x0F) | 0x40  # version 4
        return uuid.UUID(bytes=bytes(head) + self._tail(bytes(head))).hex

    def is_fake_id(self, account_id: str) -> bool:
        try:
            raw = bytes.fromhex(account_id)
        except ValueError:
            return False
        return len(raw) == 16 and hmac.compare_digest(raw[8:], self._tail(raw[:8]))

    # --- salt and verifier ----------------------------------------------------------------

    def salt(self, email: str) -> bytes:
        return self._mac("kdf-salt", email.encode())[:16]

    def verifier(self, email: str) -> int:
        n = GROUP_3072.N
        okm = hkdf(
            self._secret,
            None,
            b"safehold fake verifier|" + email.encode("utf-8"),
            (n.bit_length() + 7) // 8 + 16,  # 128 extra bits make the reduction unbiased
        )
        # In [2, N-1], like a real g^x mod N; no exponentiation, so no timing difference.
        return int.from_bytes(okm, "big") % (n - 2) + 2

    # --- parameters -----------------------------------------------------------------------

    def params(
        self, email: str, default: wire.KdfParams, read_distribution: Callable[[], Distribution]
    ) -> wire.KdfParams:
        """Parameters for ``email``: a stable draw from the real accounts' distribution."""
        distribution = self._current_distribution(read_distribution)
        total = sum(count for _, count in distribution)
        if total == 0:
            return default
        point = int.from_bytes(self._mac("kdf-params", email.encode())[:8], "big") * total >> 64
        for params, count in distribution:
            if point < count:
                return params
            point -= count
        return distribution[-1][0]

    def _current_distribution(self, read: Callable[[], Distribution]) -> Distribution:
        now = time.monotonic()
        with self._lock:
            cached = self._distribution
            if cached is not None and now - cached[0] < DISTRIBUTION_TTL:
                return cached[1]
        fresh = tuple(read())
        with self._lock:
            self._distribution = (now, fresh)
        return fresh
