"""The API client against the in-process server app, and its mapping of error answers."""

from __future__ import annotations

import secrets

import httpx
import pytest
from tests.unit.client._inproc import BASE_URL

from safehold import wire
from safehold.client.api import ApiClient
from safehold.client.errors import (
    AccountWasReset,
    AuthFailed,
    EmailTaken,
    RateLimited,
    ServerError,
    SessionRevoked,
    Unreachable,
)
from safehold.crypto import (
    AccountKey,
    KdfParams,
    KdfPolicy,
    SrpClient,
    b64decode,
    b64encode,
    derive_keys,
    hex_to_int,
    int_to_hex,
    new_kdf_salt,
    new_vault_key,
    seal_keyset,
    verifier,
)

CHEAP = KdfParams(t=1, m_kib=8, p=1)
POLICY = KdfPolicy(floor=CHEAP)


def _signup(api: ApiClient, email: str, password: str) -> tuple[AccountKey, str]:
    key = AccountKey.generate()
    account_id = secrets.token_bytes(16)
    salt = new_kdf_salt()
    keys = derive_keys(
        email=email,
        password=password,
        account_key_secret=key.secret,
        account_id=account_id,
        kdf_salt=salt,
        params=CHEAP,
        policy=POLICY,
    )
    api.signup(
        wire.SignupRequest(
            email=email,
            account_id=account_id.hex(),
            kdf_salt=b64encode(salt),
            kdf_params=wire.KdfParams(t=1, m_kib=8, p=1),
            verifier=int_to_hex(verifier(keys.srp_x)),
            keyset=b64encode(seal_keyset(keys.auk, new_vault_key(), account_id, 1)),
            device_id=secrets.token_hex(16),
            device_name="test",
        )
    )
    return key, account_id.hex()


def _login(api: ApiClient, email: str, password: str, key: AccountKey) -> wire.AuthFinishResponse:
    start = api.auth_start(email)
    salt = b64decode(start.kdf_salt)
    keys = derive_keys(
        email=email,
        password=password,
        account_key_secret=key.secret,
        account_id=bytes.fromhex(start.account_id),
        kdf_salt=salt,
        params=CHEAP,
        policy=POLICY,
    )
    srp = SrpClient(email=email, salt=salt, x=keys.srp_x)
    m1 = srp.process_challenge(hex_to_int(start.B))
    return api.auth_finish(
        wire.AuthFinishRequest(
            login_id=start.login_id,
            A=int_to_hex(srp.A),
            M1=m1.hex(),
            device_id=secrets.token_hex(16),
            device_name="other",
        )
    )


def test_signup_push_and_changes(transport: httpx.BaseTransport) -> None:
    with ApiClient(BASE_URL, transport=transport) as api:
        _signup(api, "ann@example.com", "pw")
        assert api.token and api.generation == 1
        item_id = secrets.token_hex(16)
        pushed = api.push([wire.Write(item_id=item_id, base_revision=0, envelope=b64encode(b"x" * 40))])
        assert pushed.results[0].status is wire.WriteStatus.OK
        again = api.push([wire.Write(item_id=item_id, base_revision=0, envelope=b64encode(b"y" * 40))])
        assert again.results[0].status is wire.WriteStatus.CONFLICT
        assert again.results[0].current is not None and again.results[0].current.revision == 1
        changes = api.changes(0)
        assert [c.item_id for c in changes.changes] == [item_id]
        assert api.account().email == "ann@example.com"


def test_email_taken(transport: httpx.BaseTransport) -> None:
    with ApiClient(BASE_URL, transport=transport) as api:
        _signup(api, "ann@example.com", "pw")
    with ApiClient(BASE_URL, transport=transport) as api, pytest.raises(EmailTaken):
        _signup(api, "ann@example.com", "pw")


def test_wrong_password_and_unknown_email_fail_alike(transport: httpx.BaseTransport) -> None:
    with ApiClient(BASE_URL, transport=transport) as api:
        key, _ = _signup(api, "ann@example.com", "pw")
    with ApiClient(BASE_URL, transport=transport) as api:
        with pytest.raises(AuthFailed) as wrong:
            _login(api, "ann@example.com", "nope", key)
        with pytest.raises(AuthFailed) as unknown:
            _login(api, "bob@example.com", "pw", key)
        assert str(wrong.value) == str(unknown.value) == "email or password incorrect"
        assert _login(api, "ann@example.com", "pw", key).generation == 1


def test_stale_generation_is_account_reset(transport: httpx.BaseTransport) -> None:
    with ApiClient(BASE_URL, transport=transport) as api:
        _signup(api, "ann@example.com", "pw")
        api.generation = 0
        with pytest.raises(AccountWasReset):
            api.changes(0)


def test_no_session_is_signed_out(transport: httpx.BaseTransport) -> None:
    with ApiClient(BASE_URL, transport=transport, generation=1) as api, pytest.raises(SessionRevoked):
        api.changes(0)
    with (
        ApiClient(BASE_URL, transport=transport, token="bogus", generation=1) as api,
        pytest.raises(SessionRevoked),
    ):
        api.account()


def _fixed(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body, headers=headers))


def test_rate_limit_carries_retry_after() -> None:
    body = wire.error_body(wire.ErrorCode.TOO_MANY_REQUESTS, "slow down", retry_after=32.0)
    with ApiClient(BASE_URL, transport=_fixed(429, body)) as api, pytest.raises(RateLimited) as caught:
        api.auth_start("ann@example.com")
    assert caught.value.retry_after == 32.0


def test_reset_answer_carries_date_and_generation() -> None:
    body = wire.error_body(
        wire.ErrorCode.ACCOUNT_RESET, "reset", reset_at="2024-05-01T10:00:00Z", generation=2
    )
    with (
        ApiClient(BASE_URL, transport=_fixed(410, body), token="t", generation=1) as api,
        pytest.raises(AccountWasReset) as caught,
    ):
        api.changes(0)
    assert caught.value.generation == 2 and caught.value.reset_at is not None
    assert "2024-05-01" in caught.value.message


def test_an_older_client_ignores_fields_a_newer_server_adds() -> None:
    """Mixed versions: unknown fields in an answer, at the top and nested, are passed over;
    a missing or malformed known field is still a ServerError."""
    answer = {
        "M2": "0c",
        "keyset": "AAAA",
        "generation": 3,
        "session": {"token": "t0k", "device_id": "b" * 32, "expires_in": 3600},
        "login_hint": "a field from a later version",
    }
    with ApiClient(BASE_URL, transport=_fixed(200, answer)) as api:
        result = api.auth_finish(
            wire.AuthFinishRequest(login_id="L", A="0a", M1="0b", device_id="c" * 32, device_name="d")
        )
    assert result.generation == 3 and result.session.token == "t0k"
    assert api.token == "t0k"
    broken = {**answer, "generation": "three"}
    with ApiClient(BASE_URL, transport=_fixed(200, broken)) as api, pytest.raises(ServerError):
        api.auth_finish(
            wire.AuthFinishRequest(login_id="L", A="0a", M1="0b", device_id="c" * 32, device_name="d")
        )


def test_the_server_still_refuses_unknown_request_fields(transport: httpx.BaseTransport) -> None:
    response = httpx.Client(transport=transport, base_url=BASE_URL).post(
        f"{wire.API_PREFIX}/auth/start", json={"email": "ann@example.com", "later": 1}
    )
    assert response.status_code == 422


def test_garbage_answers_and_unreachable_server() -> None:
    garbage = httpx.MockTransport(lambda request: httpx.Response(502, text="<html>bad gateway</html>"))
    with ApiClient(BASE_URL, transport=garbage) as api, pytest.raises(ServerError):
        api.hint("ann@example.com")
    not_json = httpx.MockTransport(lambda request: httpx.Response(200, text="nope"))
    with ApiClient(BASE_URL, transport=not_json) as api, pytest.raises(ServerError):
        api.hint("ann@example.com")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with ApiClient(BASE_URL, transport=httpx.MockTransport(refuse)) as api, pytest.raises(Unreachable):
        api.hint("ann@example.com")


def test_real_socket_unreachable() -> None:
    with ApiClient("http://127.0.0.1:9", timeout=httpx.Timeout(2.0)) as api, pytest.raises(Unreachable):
        api.auth_start("ann@example.com")
