"""The client's half of SRP (client/account.py PasswordProof), as sign-in, a password
change, a key rotation and a new recovery code all use it: a server that answers with the
right ``M2`` is believed, one that cannot prove it knows the verifier is not, whatever
form its answer takes."""

from __future__ import annotations

import secrets

import pytest

from safehold.client.account import PasswordProof
from safehold.client.errors import Tampered
from safehold.crypto import KdfParams, SrpClient, SrpServer, verifier

EMAIL = "ann@example.com"


def _exchange() -> tuple[PasswordProof, bytes]:
    salt = secrets.token_bytes(16)
    x = int.from_bytes(secrets.token_bytes(32), "big")
    server = SrpServer(email=EMAIL, salt=salt, v=verifier(x))
    client = SrpClient(email=EMAIL, salt=salt, x=x)
    m1 = client.process_challenge(server.B)
    m2 = server.verify_client(client.A, m1)
    # start and keys are what the exchange was made from; the check reads neither.
    proof = PasswordProof(None, KdfParams(1, 8, 1), None, client, m1)  # type: ignore[arg-type]
    return proof, m2


def test_the_server_that_knows_the_verifier_is_believed() -> None:
    proof, m2 = _exchange()
    proof.check_server(m2.hex(), "not believed")
    assert int(proof.a_hex, 16) == proof.srp.A


@pytest.mark.parametrize(
    "answer",
    [
        "00" * 32,  # the right length, the wrong proof
        "0c",  # too short
        "zz" * 32,  # not hex
        "",
    ],
)
def test_a_server_that_cannot_prove_it_is_not_believed(answer: str) -> None:
    proof, m2 = _exchange()
    assert answer != m2.hex()
    with pytest.raises(Tampered, match="not believed"):
        proof.check_server(answer, "not believed")


def test_another_exchanges_proof_is_not_believed() -> None:
    proof, _ = _exchange()
    _, other = _exchange()
    with pytest.raises(Tampered):
        proof.check_server(other.hex(), "not believed")
