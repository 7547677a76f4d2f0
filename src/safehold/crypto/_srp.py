"""SRP-6a (RFC 5054) on Python integers, as pinned by spec §6.

    v  = g^x mod N                    k  = H(N | PAD(g))
    A  = g^a mod N                    B  = (k*v + g^b) mod N
    u  = H(PAD(A) | PAD(B))
    S  = (B - k*g^x)^(a + u*x) mod N  (client) = (A * v^u)^b mod N  (server)
    K  = H(PAD(S))
    M1 = H(H(N) XOR H(PAD(g)) | H(I) | salt | PAD(A) | PAD(B) | K)
    M2 = H(PAD(A) | M1 | K)

The group and hash are parameters only so RFC 5054 Appendix B (1024-bit group, SHA-1)
can be checked against this very code; Safehold itself uses :data:`GROUP_3072`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

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
        return value.to_bytes(self.n_len, "big")

    def H(self, *parts: bytes) -> bytes:
        h = hashlib.new(self.hash_name)
        for part in parts:
            h.update(part)
        return h.digest()

    def H_int(self, *parts: bytes) -> int:
        return int.from_bytes(self.H(*parts), "big")

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


def _random_ephemeral(group: SrpGroup) -> int:
    while True:
        value = secrets.randbits(EPHEMERAL_BITS)
        if 0 < value < group.N:
            return value


def _check_private(value: int, group: SrpGroup) -> int:
    if not 0 < value < group.N:
        raise SrpError("an SRP private value must lie in 1..N-1")
    return value


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


@dataclass(slots=True)
class SrpClient:
    """The client's side of one handshake. ``a`` is random unless a test vector fixes it."""

    email: str
    salt: bytes
    x: int
    group: SrpGroup = GROUP_3072
    a: int = 0
    A: int = 0
    K: bytes = b""
    M1: bytes = b""
    _m2: bytes = b""

    def __post_init__(self) -> None:
        self.a = _check_private(self.a, self.group) if self.a else _random_ephemeral(self.group)
        self.A = pow(self.group.g, self.a, self.group.N)

    def __repr__(self) -> str:
        return "SrpClient(<secret>)"

    def process_challenge(self, B: int) -> bytes:
        """Take the server's ``B``, return the proof ``M1``."""
        g = self.group
        if B % g.N == 0:
            raise SrpError("the server sent an invalid SRP value B")
        u = _scramble(g, self.A, B)
        base = (B - g.k * pow(g.g, self.x, g.N)) % g.N
        S = pow(base, self.a + u * self.x, g.N)
        self.K, self.M1, self._m2 = _proofs(g, email_bytes(self.email), self.salt, self.A, B, S)
        return self.M1

    def verify_server(self, M2: bytes) -> None:
        """Check the server's proof; raises :class:`SrpError` if it does not match."""
        if not self._m2 or not hmac.compare_digest(M2, self._m2):
            raise SrpError("the server could not prove it knows this account's verifier")


@dataclass(slots=True)
class SrpServer:
    """The server's side. Rebuilt from stored ``b`` between the two round trips."""

    email: str
    salt: bytes
    v: int
    group: SrpGroup = GROUP_3072
    b: int = 0
    B: int = 0

    def __post_init__(self) -> None:
        g = self.group
        self.b = _check_private(self.b, g) if self.b else _random_ephemeral(g)
        self.B = (g.k * self.v + pow(g.g, self.b, g.N)) % g.N

    def __repr__(self) -> str:
        return "SrpServer(<secret>)"

    def premaster(self, A: int) -> int:
        g = self.group
        if A % g.N == 0:
            raise SrpError("the client sent an invalid SRP value A")
        u = _scramble(g, A, self.B)
        return pow(A * pow(self.v, u, g.N), self.b, g.N)

    def verify_client(self, A: int, M1: bytes) -> bytes:
        """Check the client's proof; return ``M2``. :class:`SrpError` if it fails."""
        S = self.premaster(A)
        _, m1, m2 = _proofs(self.group, email_bytes(self.email), self.salt, A, self.B, S)
        if not hmac.compare_digest(M1, m1):
            raise SrpError("SRP proof did not match")
        return m2
