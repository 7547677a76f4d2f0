from __future__ import annotations

import pytest

from safehold.crypto import GROUP_3072, SrpClient, SrpError, SrpServer, verifier

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


@pytest.mark.parametrize("bad", [0, GROUP_3072.N, 2 * GROUP_3072.N])
def test_zero_values_mod_n_are_rejected(bad: int) -> None:
    client, server = pair()
    with pytest.raises(SrpError, match="invalid SRP value B"):
        client.process_challenge(bad)
    with pytest.raises(SrpError, match="invalid SRP value A"):
        server.verify_client(bad, b"\x00" * 32)


def test_a_forged_server_proof_is_rejected() -> None:
    client, server = pair()
    client.process_challenge(server.B)
    with pytest.raises(SrpError):
        client.verify_server(b"\x00" * 32)


def test_verify_before_challenge_is_rejected() -> None:
    client, _ = pair()
    with pytest.raises(SrpError):
        client.verify_server(b"\x00" * 32)


def test_private_values_must_be_in_range() -> None:
    with pytest.raises(SrpError):
        SrpClient(email=EMAIL, salt=SALT, x=1, a=GROUP_3072.N)


def test_ephemerals_are_fresh() -> None:
    assert pair()[0].A != pair()[0].A
    assert repr(pair()[0]) == "SrpClient(<secret>)"
