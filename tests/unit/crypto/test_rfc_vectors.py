"""Independent checks: our SRP code against RFC 5054 Appendix B, and the Argon2id we use
against RFC 9106."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from tests.unit.crypto._vectors import load

from safehold.crypto import SrpClient, SrpGroup, SrpServer, verifier

RFC = load("rfc5054-appendix-b.json")
GROUP_1024_SHA1 = SrpGroup(N=int(RFC["N"], 16), g=int(RFC["g"], 16), hash_name="sha1")


def rfc_x() -> int:
    inner = hashlib.sha1(f"{RFC['I']}:{RFC['P']}".encode()).digest()
    return int.from_bytes(hashlib.sha1(bytes.fromhex(RFC["s"]) + inner).digest(), "big")


def test_rfc5054_appendix_b() -> None:
    x = rfc_x()
    assert format(x, "x") == RFC["x"]
    assert format(GROUP_1024_SHA1.k, "x") == RFC["k"]
    v = verifier(x, GROUP_1024_SHA1)
    assert format(v, "x") == RFC["v"]
    salt = bytes.fromhex(RFC["s"])
    client = SrpClient(email=RFC["I"], salt=salt, x=x, group=GROUP_1024_SHA1, a=int(RFC["a"], 16))
    server = SrpServer(email=RFC["I"], salt=salt, v=v, group=GROUP_1024_SHA1, b=int(RFC["b"], 16))
    assert format(client.A, "x") == RFC["A"]
    assert format(server.B, "x") == RFC["B"]
    u = GROUP_1024_SHA1.H_int(GROUP_1024_SHA1.pad(client.A), GROUP_1024_SHA1.pad(server.B))
    assert format(u, "x") == RFC["u"]
    assert format(server.premaster(client.A), "x") == RFC["S"]
    # The client's premaster is the same S: the proofs agree.
    server.verify_client(client.A, client.process_challenge(server.B))


def test_rfc9106_argon2id() -> None:
    v = load("rfc9106-argon2id.json")
    kdf = Argon2id(
        salt=bytes.fromhex(v["salt"]),
        length=32,
        iterations=v["t"],
        lanes=v["p"],
        memory_cost=v["m_kib"],
        ad=bytes.fromhex(v["ad"]),
        secret=bytes.fromhex(v["secret"]),
    )
    assert kdf.derive(bytes.fromhex(v["password"])).hex() == v["tag"]
