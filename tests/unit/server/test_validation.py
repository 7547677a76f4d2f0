"""Bad input is a 422 naming the field, on SQLite and PostgreSQL alike; never a 500."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.accounts import TestAccount, new_device_id, prove, signup, signup_body

from safehold import wire

API = wire.API_PREFIX
#: Shared by the hypothesis tests: the app is reused across examples on purpose.
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
#: Every code point class that has bitten a database or a mail header: NUL and other
#: controls, lone surrogates, line breaks, wide and case-changing letters.
awkward_text = st.text(
    alphabet=st.one_of(
        st.characters(codec=None),
        st.sampled_from(["\x00", "\n", "\r", "\u2028", "\ud800", "İ", "ß", "@", ",", "<", ">", " "]),
    ),
    max_size=300,
)


def _post(api: TestClient, path: str, body: dict[str, Any]) -> Any:
    """POST as escaped JSON: httpx cannot encode a lone surrogate, but JSON may carry one."""
    return api.post(f"{API}{path}", content=json.dumps(body), headers={"content-type": "application/json"})


def _invalid(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["field"] == field


@pytest.mark.parametrize(
    "email",
    [
        "nl@x.y\nBcc: e@x.y",
        "a@b.c <evil@x.y>",
        "x,y@z.w",
        "İ" * 200 + "@b.c",  # 200 characters become 400 once lower-cased
        "nul\x00@x.y",
        "no-at-sign",
        "two@at@signs.test",
        "@no-local.test",
        "no-domain@",
        "tab\t@x.y",
        'quote"d@x.y',
        "\ud800@x.y",
    ],
)
def test_bad_addresses_are_refused_everywhere(api: TestClient, email: str) -> None:
    body = signup_body(TestAccount.new())
    _invalid(_post(api, "/accounts", {**body, "email": email}), "email")
    for path in ("/auth/start", "/hint", "/reset"):
        _invalid(_post(api, path, {"email": email}), "email")


def test_an_address_is_normalised_and_may_be_254_characters(api: TestClient) -> None:
    local = "a" * 64
    email = f"{local}@{'b' * (254 - 64 - 1 - 5)}.test"
    assert len(email) == 254
    account = TestAccount.new(email=f"  {email.upper()} ")
    session = signup(api, account)
    assert api.get(f"{API}/account", headers=session.headers()).json()["email"] == email
    assert _post(api, "/auth/start", {"email": email}).status_code == 200
    _invalid(_post(api, "/auth/start", {"email": "c" + email}), "email")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("device_name", "phone\x00"),
        ("device_name", "line\nbreak"),
        ("device_name", ""),
        ("device_name", "x" * 101),
        ("hint", "nul\x00"),
        ("hint", "\ud800"),
        ("hint", "h" * 201),
    ],
)
def test_names_and_hints_refuse_control_characters_and_length(
    api: TestClient, field: str, value: str
) -> None:
    body = signup_body(TestAccount.new())
    _invalid(_post(api, "/accounts", {**body, field: value}), field)


def test_finish_checks_login_id_and_device_name(api: TestClient) -> None:
    account = TestAccount.new()
    signup(api, account)
    proof = prove(api, account)
    body = {"login_id": proof.login_id, "A": proof.A, "M1": proof.M1, "device_id": new_device_id()}
    _invalid(_post(api, "/auth/finish", {**body, "device_name": "a\x00b"}), "device_name")
    _invalid(_post(api, "/auth/finish", {**body, "login_id": "x\x00", "device_name": "ok"}), "login_id")
    ok = _post(api, "/auth/finish", {**body, "device_name": "Ünïcode phone ✓"})
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("value", ["3", 3.0, True, "1e1"])
def test_kdf_params_are_strict_integers(api: TestClient, value: object) -> None:
    body = signup_body(TestAccount.new())
    _invalid(
        _post(api, "/accounts", {**body, "kdf_params": {**body["kdf_params"], "t": value}}),
        "kdf_params.t",
    )


@pytest.mark.parametrize("header", ["1.0", " 1", "+1", "1 ", "0x1", "１".encode(), "99999999999"])
def test_the_generation_header_is_a_plain_decimal(api: TestClient, header: str | bytes) -> None:
    session = signup(api, TestAccount.new())
    headers = {**session.headers(), wire.GENERATION_HEADER: header}
    response = api.get(f"{API}/vault/changes", headers=headers)
    _invalid(response, wire.GENERATION_HEADER)
    assert api.get(f"{API}/vault/changes", headers=session.headers()).status_code == 200


@FUZZ
@given(email=awkward_text)
def test_no_email_makes_a_500(api: TestClient, email: str) -> None:
    for path in ("/auth/start", "/hint", "/reset"):
        response = _post(api, path, {"email": email})
        assert response.status_code in {200, 202, 422, 429}, (path, response.text)
    body = signup_body(TestAccount.new())
    response = _post(api, "/accounts", {**body, "email": email})
    assert response.status_code in {201, 409, 422}, response.text
    if response.status_code == 422:
        assert response.json()["error"]["field"] == "email"


@FUZZ
@given(name=awkward_text, hint=awkward_text)
def test_no_device_name_or_hint_makes_a_500(api: TestClient, name: str, hint: str) -> None:
    body = signup_body(TestAccount.new())
    response = _post(api, "/accounts", {**body, "device_name": name, "hint": hint})
    assert response.status_code in {201, 422}, response.text
    if response.status_code == 422:
        assert response.json()["error"]["field"] in {"device_name", "hint"}


@FUZZ
@given(login_id=awkward_text, name=awkward_text)
def test_no_login_id_makes_a_500(api: TestClient, login_id: str, name: str) -> None:
    body = {"login_id": login_id, "A": "ab", "M1": "cd", "device_id": new_device_id(), "device_name": name}
    response = _post(api, "/auth/finish", body)
    assert response.status_code in {401, 422, 429}, response.text


@settings(max_examples=300, deadline=None)
@given(text=awkward_text)
def test_a_clean_email_is_stable_bounded_and_header_safe(text: str) -> None:
    try:
        email = wire.clean_email(text)
    except ValueError:
        return
    assert wire.clean_email(email) == email  # normalising twice changes nothing
    assert len(email) <= wire.EMAIL_MAX and email.count("@") == 1
    assert not any(ch.isspace() for ch in email)
    message = EmailMessage()
    message["To"] = email  # would raise on a line break or a second address
    assert len(message["To"].addresses) == 1
