from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safehold.crypto import GROUP_3072, SrpClient, SrpError, SrpServer, verifier

N = GROUP_3072.N
#: Values the other side might send that are not in 1..N-1, including the audit's
#: A = 'f' * 1024 (longer than N's 384 bytes) and negatives.
OUT_OF_RANGE = [0, -1, -N, N, N + 1, 2 * N, 2**3072, 16**1024 - 1]

SALT = bytes(16)
EMAIL = "a@example.com"


def pair(x_client: int = 1234567, x_server: int = 1234567) -> tuple[SrpClient, SrpServer]:
    return (
        SrpClient(email=EMAIL, salt=SALT, x=x_client),
        SrpServer(email=EMAIL, salt=SALT, v=verifier(x_server)),
    )


def test_handshake_agrees() -> None:
    client, server = pair()
    m2 = server.verify_client(client.A, client.process_challenge(server.B))
    client.verify_server(m2)


def test_wrong_secret_fails_on_the_server() -> None:
    client, server = pair(x_client=1, x_server=2)
    with pytest.raises(SrpError):
        server.verify_client(client.A, client.process_challenge(server.B))


def test_email_is_bound_into_the_proof() -> None:
    client = SrpClient(email="b@example.com", salt=SALT, x=5)
    server = SrpServer(email=EMAIL, salt=SALT, v=verifier(5))
    with pytest.raises(SrpError):
        server.verify_client(client.A, client.process_challenge(server.B))


@pytest.mark.parametrize("bad", OUT_OF_RANGE)
def test_values_outside_1_to_n_minus_1_are_rejected(bad: int) -> None:
    client, server = pair()
    with pytest.raises(SrpError, match="server sent an invalid SRP value B"):
        client.process_challenge(bad)
    with pytest.raises(SrpError, match="client sent an invalid SRP value A"):
        server.verify_client(bad, b"\x00" * 32)
    with pytest.raises(SrpError, match="client sent an invalid SRP value A"):
        server.premaster(bad)


@given(st.integers(max_value=0) | st.integers(min_value=N) | st.sampled_from(OUT_OF_RANGE))
def test_any_out_of_range_value_is_an_srp_error(bad: int) -> None:
    client, server = pair()
    with pytest.raises(SrpError):
        client.process_challenge(bad)
    with pytest.raises(SrpError):
        server.verify_client(bad, b"\x00" * 32)


@pytest.mark.parametrize("edge", [1, N - 1])
def test_the_ends_of_the_range_are_accepted(edge: int) -> None:
    client, server = pair()
    assert len(client.process_challenge(edge)) == 32
    with pytest.raises(SrpError, match="did not match"):  # checked, then simply wrong
        server.verify_client(edge, b"\x00" * 32)


@pytest.mark.parametrize("bad", [True, "5", 5.0, None])
def test_values_that_are_not_integers_are_srp_errors(bad: object) -> None:
    client, server = pair()
    with pytest.raises(SrpError):
        client.process_challenge(bad)  # type: ignore[arg-type]
    with pytest.raises(SrpError):
        server.verify_client(bad, b"\x00" * 32)  # type: ignore[arg-type]


@pytest.mark.parametrize("proof", [b"", b"\x00" * 31, b"\x00" * 33, b"\x00" * 64, "00" * 32, None])
def test_proofs_of_the_wrong_shape_are_srp_errors(proof: object) -> None:
    client, server = pair()
    m1 = client.process_challenge(server.B)
    with pytest.raises(SrpError, match="32 bytes"):
        server.verify_client(client.A, proof)  # type: ignore[arg-type]
    server.verify_client(client.A, m1)  # the same server still accepts the real proof
    with pytest.raises(SrpError, match="32 bytes"):
        client.verify_server(proof)  # type: ignore[arg-type]


def test_a_proof_of_another_handshake_is_rejected() -> None:
    client, server = pair()
    other_client, other_server = pair()
    other_m2 = other_server.verify_client(other_client.A, other_client.process_challenge(other_server.B))
    m1 = client.process_challenge(server.B)
    with pytest.raises(SrpError):
        server.verify_client(client.A, other_client.M1)
    server.verify_client(client.A, m1)
    with pytest.raises(SrpError):
        client.verify_server(other_m2)


def test_a_forged_server_proof_is_rejected() -> None:
    client, server = pair()
    client.process_challenge(server.B)
    with pytest.raises(SrpError):
        client.verify_server(b"\x00" * 32)


def test_verify_before_challenge_is_rejected() -> None:
    client, _ = pair()
    with pytest.raises(SrpError):
        client.verify_server(b"\x00" * 32)


@pytest.mark.parametrize("bad", [0, -1, N, N + 1])
def test_private_values_must_be_in_range(bad: int) -> None:
    with pytest.raises(SrpError, match="private value"):
        SrpClient(email=EMAIL, salt=SALT, x=1, a=bad)
    with pytest.raises(SrpError, match="private value"):
        SrpServer(email=EMAIL, salt=SALT, v=verifier(1), b=bad)


@pytest.mark.parametrize("bad", [0, N, -5])
def test_a_verifier_must_be_in_range(bad: int) -> None:
    with pytest.raises(SrpError, match="verifier"):
        SrpServer(email=EMAIL, salt=SALT, v=bad)


def test_private_ephemerals_are_not_public_fields() -> None:
    client, server = pair()
    assert not dataclasses.is_dataclass(client) and not dataclasses.is_dataclass(server)
    assert not hasattr(client, "a") and not hasattr(client, "x")
    assert repr(server) == "SrpServer(<secret>)"
    # The server persists b between round trips (spec/api.md), so it can read it, not set it.
    restored = SrpServer(email=EMAIL, salt=SALT, v=server.v, b=server.b)
    assert restored.B == server.B
    with pytest.raises(AttributeError):
        server.b = 1  # type: ignore[misc]


def test_proof_and_key_do_not_exist_before_the_challenge() -> None:
    client, _ = pair()
    with pytest.raises(SrpError, match="challenge first"):
        _ = client.M1
    with pytest.raises(SrpError, match="challenge first"):
        _ = client.K


def test_ephemerals_are_fresh() -> None:
    assert pair()[0].A != pair()[0].A
    assert repr(pair()[0]) == "SrpClient(<secret>)"
