"""SRP-6a (RFC 5054) on Python integers, as pinned by spec §6.

    v  = g^x mod N                    k  = H(N | PAD(g))
    A  = g^a mod N                    B  = (k*v + g^b) mod N
    u  = H(PAD(A) | PAD(B))
    S  = (B - k*g^x)^(a + u*x) mod N  (client) = (A * v^u)^b mod N  (server)
    K  = H(PAD(S))
    M1 = H(H(N) XOR H(PAD(g)) | H(I) | salt | PAD(A) | PAD(B) | K)
    M2 = H(PAD(A) | M1 | K)

Every value from the other side is checked before any arithmetic: ``A`` and ``B`` must lie
in 1..N-1 (which also rules out ``A mod N = 0``) and a proof must be one hash long. Any bad
input is an :class:`SrpError`, never an ``OverflowError`` or ``TypeError``, so a server
answers it like a failed sign-in and a client like a server it cannot trust.

The group and hash are parameters only so RFC 5054 Appendix B (1024-bit group, SHA-1)
can be checked against this very code; Safehold itself uses :data:`GROUP_3072`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import NoReturn

from ._errors import SrpError
from ._normalize import email_bytes

#: spec §6: private ephemeral size in bits.
EPHEMERAL_BITS = 256


@dataclass(frozen=True, slots=True)
class SrpGroup:
    """A prime ``N``, a generator ``g`` and the hash ``H``."""

    N: int
    g: int
    hash_name: str
    n_len: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_len", (self.N.bit_length() + 7) // 8)

    def pad(self, value: int) -> bytes:
        """``PAD(x)``: big-endian, left-padded to the byte length of N."""
        try:
            return value.to_bytes(self.n_len, "big")
        except OverflowError:
            # Unreachable through SrpClient/SrpServer, which check ranges first; kept so a
            # new caller cannot turn a bad value into an unexpected exception type.
            raise SrpError("an SRP value does not fit in the byte length of N") from None

    def H(self, *parts: bytes) -> bytes:
        h = hashlib.new(self.hash_name)
        for part in parts:
            h.update(part)
        return h.digest()

    def H_int(self, *parts: bytes) -> int:
        return int.from_bytes(self.H(*parts), "big")

    @property
    def digest_size(self) -> int:
        """Length of ``H``'s output, and so of the proofs ``M1`` and ``M2``."""
        return hashlib.new(self.hash_name).digest_size

    @property
    def k(self) -> int:
        return self.H_int(self.pad(self.N), self.pad(self.g))


#: spec §6: RFC 5054's 3072-bit group (RFC 3526 group 15), g = 5, H = SHA-256.
GROUP_3072 = SrpGroup(
    N=int(
        "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
        "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
        "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
        "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
        "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
        "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
        "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
        "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33"
        "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7"
        "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864"
        "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2"
        "08e24fa074e5ab3143db5bfce0fd108e4b82d120a93ad2caffffffffffffffff",
        16,
    ),
    g=5,
    hash_name="sha256",
)


def verifier(x: int, group: SrpGroup = GROUP_3072) -> int:
    """``v = g^x mod N``: all the server stores of the password and account key."""
    return pow(group.g, x, group.N)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _random_ephemeral(group: SrpGroup) -> int:
    while True:
        value = secrets.randbits(EPHEMERAL_BITS)
        if 0 < value < group.N:
            return value


def _ephemeral(value: int | None, group: SrpGroup) -> int:
    """A fixed private value (test vectors, or the server's stored ``b``), or a fresh one."""
    if value is None:
        return _random_ephemeral(group)
    if not _is_int(value) or not 0 < value < group.N:
        raise SrpError("an SRP private value must lie in 1..N-1")
    return value


def _check_public(value: int, group: SrpGroup, *, sender: str, name: str) -> int:
    """spec §6: abort unless ``value`` lies in 1..N-1."""
    if not _is_int(value) or not 0 < value < group.N:
        raise SrpError(f"the {sender} sent an invalid SRP value {name}: it must lie in 1..N-1")
    return value


def _check_proof(proof: bytes, group: SrpGroup, *, name: str) -> bytes:
    if not isinstance(proof, bytes | bytearray) or len(proof) != group.digest_size:
        raise SrpError(f"an SRP proof {name} is {group.digest_size} bytes")
    return bytes(proof)


def _scramble(group: SrpGroup, A: int, B: int) -> int:
    u = group.H_int(group.pad(A), group.pad(B))
    if u == 0:
        raise SrpError("SRP scrambling parameter u is zero")
    return u


def _proofs(
    group: SrpGroup, identity: bytes, salt: bytes, A: int, B: int, S: int
) -> tuple[bytes, bytes, bytes]:
    K = group.H(group.pad(S))
    hn = group.H(group.pad(group.N))
    hg = group.H(group.pad(group.g))
    hxor = bytes(a ^ b for a, b in zip(hn, hg, strict=True))
    m1 = group.H(hxor, group.H(identity), salt, group.pad(A), group.pad(B), K)
    m2 = group.H(group.pad(A), m1, K)
    return K, m1, m2


def _no_proof_yet() -> NoReturn:
    raise SrpError("no SRP proof yet: process the server's challenge first")


class SrpClient:
    """The client's side of one handshake.

    ``a`` is random unless a test vector fixes it. ``a`` and ``x`` (which is as good as
    the password and account key) are kept private and never shown. ``A`` goes to the
    server; ``process_challenge`` then yields ``M1`` and ``K``.
    """

    __slots__ = ("A", "_K", "_M1", "_M2", "_a", "_x", "email", "group", "salt")

    def __init__(
        self,
        *,
        email: str,
        salt: bytes,
        x: int,
        group: SrpGroup = GROUP_3072,
        a: int | None = None,
    ) -> None:
        self.email = email
        self.salt = salt
        self._x = x
        self.group = group
        self._a = _ephemeral(a, group)
        self.A: int = pow(group.g, self._a, group.N)
        self._K = self._M1 = self._M2 = b""

    def __repr__(self) -> str:
        return "SrpClient(<secret>)"

    @property
    def K(self) -> bytes:
        """The shared session key, once the challenge is processed."""
        return self._K or _no_proof_yet()

    @property
    def M1(self) -> bytes:
        """The client's proof, once the challenge is processed."""
        return self._M1 or _no_proof_yet()

    def process_challenge(self, B: int) -> bytes:
        """Take the server's ``B``, return the proof ``M1``. :class:`SrpError` unless ``B``
        lies in 1..N-1 (spec §6) and ``u`` is not zero."""
        g = self.group
        _check_public(B, g, sender="server", name="B")
        u = _scramble(g, self.A, B)
        base = (B - g.k * pow(g.g, self._x, g.N)) % g.N
        S = pow(base, self._a + u * self._x, g.N)
        self._K, self._M1, self._M2 = _proofs(g, email_bytes(self.email), self.salt, self.A, B, S)
        return self._M1

    def verify_server(self, M2: bytes) -> None:
        """Check the server's proof; raises :class:`SrpError` if it does not match (or if
        there is no challenge to match it against)."""
        if not self._M2:
            raise SrpError("the server's SRP proof came before its challenge")
        if not hmac.compare_digest(_check_proof(M2, self.group, name="M2"), self._M2):
            raise SrpError("the server could not prove it knows this account's verifier")


class SrpServer:
    """The server's side.

    The server keeps ``b`` between the two round trips (so any process can finish a
    handshake another began) and rebuilds this object from it: pass it back as ``b=``.
    It is a secret of this handshake: store it only until the handshake ends.
    """

    __slots__ = ("B", "_b", "email", "group", "salt", "v")

    def __init__(
        self,
        *,
        email: str,
        salt: bytes,
        v: int,
        group: SrpGroup = GROUP_3072,
        b: int | None = None,
    ) -> None:
        if not _is_int(v) or not 0 < v < group.N:
            raise SrpError("an SRP verifier must lie in 1..N-1")
        self.email = email
        self.salt = salt
        self.v = v
        self.group = group
        self._b = _ephemeral(b, group)
        self.B: int = (group.k * v + pow(group.g, self._b, group.N)) % group.N

    def __repr__(self) -> str:
        return "SrpServer(<secret>)"

    @property
    def b(self) -> int:
        """The private ephemeral, read only to persist it between the two round trips."""
        return self._b

    def premaster(self, A: int) -> int:
        """``S``. :class:`SrpError` unless ``A`` lies in 1..N-1 (spec §6) and ``u`` is not zero."""
        g = self.group
        _check_public(A, g, sender="client", name="A")
        u = _scramble(g, A, self.B)
        return pow(A * pow(self.v, u, g.N), self._b, g.N)

    def verify_client(self, A: int, M1: bytes) -> bytes:
        """Check the client's proof; return ``M2``. :class:`SrpError` for a bad ``A`` or
        ``M1`` or a proof that does not match."""
        M1 = _check_proof(M1, self.group, name="M1")  # before the costly exponentiations
        S = self.premaster(A)
        _, m1, m2 = _proofs(self.group, email_bytes(self.email), self.salt, A, self.B, S)
        if not hmac.compare_digest(M1, m1):
            raise SrpError("SRP proof did not match")
        return m2
