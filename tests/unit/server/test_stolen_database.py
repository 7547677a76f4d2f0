"""Attack: a full copy of the server's database, without the server secret, must not be
enough to sign in as anyone (issue "hardening" item 1).

An SRP server's ephemeral ``b`` together with the stored verifier ``v`` lets anyone compute
``S = (A·v^u)^b`` for an ``A`` of their choosing, and so a valid proof. The attack is run
twice: once with ``b`` as the server knows it (so the forging code is shown to work), and
once with only what the database holds (which must fail on both databases).
"""

from __future__ import annotations

import contextlib

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.accounts import TestAccount, new_device_id, signup
from tests.support.inprocess import services_of

from safehold import wire
from safehold.crypto import GROUP_3072, SrpServer, _srp, b64decode, email_bytes, hex_to_int, int_to_hex
from safehold.server.db.models import Account, Login

API = wire.API_PREFIX
#: The attacker's own SRP secret: any value works once ``b`` is known.
ATTACKER_A = 0xA77AC4E5


def _forged_finish(api: TestClient, start: wire.AuthStartResponse, v: int, b: int) -> int:
    """Finish the handshake ``start`` with a proof computed from ``v`` and ``b`` alone."""
    A = pow(GROUP_3072.g, ATTACKER_A, GROUP_3072.N)
    salt = b64decode(start.kdf_salt)
    server = SrpServer(email=_EMAIL, salt=salt, v=v, b=b)
    S = server.premaster(A)
    _, m1, _ = _srp._proofs(GROUP_3072, email_bytes(_EMAIL), salt, A, hex_to_int(start.B), S)
    response = api.post(
        f"{API}/auth/finish",
        json={
            "login_id": start.login_id,
            "A": int_to_hex(A),
            "M1": m1.hex(),
            "device_id": new_device_id(),
            "device_name": "attacker",
        },
    )
    return response.status_code


_EMAIL = "victim@example.test"


def _start(api: TestClient) -> wire.AuthStartResponse:
    response = api.post(f"{API}/auth/start", json={"email": _EMAIL})
    assert response.status_code == 200
    return wire.AuthStartResponse.model_validate(response.json())


def _stolen_rows(api: TestClient, login_id: str) -> tuple[int, str]:
    """What a copy of the database shows: the verifier, and the login's stored ``b`` text."""
    with services_of(api).database.read() as db:
        account = db.scalar(select(Account).where(Account.email == _EMAIL))
        login = db.get(Login, login_id)
        assert account is not None and login is not None
        return hex_to_int(account.verifier), login.b


def test_the_forgery_works_when_b_is_known(api: TestClient) -> None:
    """The harness is right: with the server's ``b`` (opened with the server secret,
    which the attacker does not have) the forged proof signs in."""
    signup(api, TestAccount.new(email=_EMAIL))
    start = _start(api)
    v, stored = _stolen_rows(api, start.login_id)
    b = services_of(api).auth._open_b(start.login_id, stored)
    assert b is not None
    assert _forged_finish(api, start, v, b) == 200


def test_a_copy_of_the_database_signs_in_as_nobody(api: TestClient) -> None:
    signup(api, TestAccount.new(email=_EMAIL))
    start = _start(api)
    v, stored = _stolen_rows(api, start.login_id)
    # Whatever the attacker makes of the stored text, it is not b: B = k·v + g^b fails.
    candidates: list[int] = []
    for reading in (stored, stored.lower()):
        with contextlib.suppress(ValueError):
            candidates.append(hex_to_int(reading))
    candidates.append(int.from_bytes(b64decode(stored), "big"))
    target = hex_to_int(start.B)
    for b in candidates:
        if 0 < b < GROUP_3072.N:
            assert (GROUP_3072.k * v + pow(GROUP_3072.g, b, GROUP_3072.N)) % GROUP_3072.N != target
    # And finishing with the best guess fails like a wrong password.
    guess = candidates[-1] % GROUP_3072.N or 1
    assert _forged_finish(api, start, v, guess) == 401


def test_a_login_whose_b_was_altered_fails_like_a_wrong_password(api: TestClient) -> None:
    account = TestAccount.new(email=_EMAIL)
    signup(api, account)
    start = _start(api)
    with services_of(api).database.write() as db:
        login = db.get(Login, start.login_id)
        assert login is not None
        login.b = int_to_hex(12345)  # the old, clear-text form
    v, _ = _stolen_rows(api, start.login_id)
    assert _forged_finish(api, start, v, 12345) == 401
