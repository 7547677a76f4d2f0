"""A minimal Safehold client for server tests, built on ``safehold.crypto`` only.

It knows the password, the account key and every item's plaintext, so tests can check
that none of them ever reached the server. Accounts use a cheap Argon2id cost.

    account = TestAccount.new()
    session = signup(http, account)                 # an httpx.Client or TestClient
    session = signin(http, account, device_id=...)  # SRP, checks M2
    push_items(http, session, {"title": "x"})
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from safehold import wire
from safehold.crypto import (
    AccountKey,
    KdfParams,
    KdfPolicy,
    SrpClient,
    VaultCipher,
    b64decode,
    b64encode,
    derive_keys,
    hex_to_int,
    int_to_hex,
    new_kdf_salt,
    new_vault_key,
    open_keyset,
    seal_keyset,
    verifier,
)

CHEAP = KdfParams(t=1, m_kib=8, p=1)
CHEAP_POLICY = KdfPolicy(floor=CHEAP)
API = wire.API_PREFIX


def new_device_id() -> str:
    return secrets.token_hex(16)


@dataclass
class Credentials:
    kdf_salt: bytes
    verifier: int
    keyset: bytes
    auk: bytes
    x: int


@dataclass
class TestAccount:
    """Everything the user knows (and the server must never learn)."""

    __test__ = False  # not a pytest class

    email: str
    password: str
    account_key: AccountKey
    account_id: str
    vault_key: bytes
    generation: int = 1
    hint: str | None = None
    kdf_salt: bytes = b""
    plaintexts: list[str] = field(default_factory=list)

    @classmethod
    def new(
        cls, email: str | None = None, password: str | None = None, hint: str | None = None
    ) -> TestAccount:
        return cls(
            email=email or f"user-{secrets.token_hex(4)}@example.test",
            password=password or f"correct horse {secrets.token_hex(6)}",
            account_key=AccountKey.generate(),
            account_id=uuid.uuid4().hex,
            vault_key=new_vault_key(),
            hint=hint,
        )

    @property
    def account_key_text(self) -> str:
        return self.account_key.to_text()

    def secrets_to_hide(self) -> list[str]:
        """Strings that must appear in no dump, log or mail."""
        key = self.account_key
        return [
            self.password,
            key.to_text(),
            key.to_text().replace("-", ""),
            key.secret.hex(),
            b64encode(key.secret),
            self.vault_key.hex(),
            b64encode(self.vault_key),
            *self.plaintexts,
        ]

    def credentials(
        self, *, password: str | None = None, salt: bytes | None = None, generation: int | None = None
    ) -> Credentials:
        salt = salt or new_kdf_salt()
        keys = derive_keys(
            email=self.email,
            password=password or self.password,
            account_key_secret=self.account_key.secret,
            account_id=bytes.fromhex(self.account_id),
            kdf_salt=salt,
            params=CHEAP,
            policy=CHEAP_POLICY,
        )
        keyset = seal_keyset(
            keys.auk, self.vault_key, bytes.fromhex(self.account_id), generation or self.generation
        )
        return Credentials(salt, verifier(keys.srp_x), keyset, keys.auk, keys.srp_x)

    def cipher(self) -> VaultCipher:
        return VaultCipher(self.vault_key, bytes.fromhex(self.account_id), self.generation)

    def seal(self, item_id: str, value: dict[str, Any]) -> str:
        for text in value.values():
            if isinstance(text, str) and len(text) >= 8:
                self.plaintexts.append(text)
        return b64encode(self.cipher().seal_item(bytes.fromhex(item_id), value))

    def open(self, item_id: str, envelope: str) -> Any:
        return self.cipher().open_item(bytes.fromhex(item_id), b64decode(envelope))


@dataclass
class Session:
    token: str
    device_id: str
    generation: int
    keyset: str = ""

    def headers(self, generation: int | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            wire.GENERATION_HEADER: str(self.generation if generation is None else generation),
        }


def signup_body(
    account: TestAccount, device_id: str | None = None, device_name: str = "laptop"
) -> dict[str, Any]:
    creds = account.credentials()
    account.kdf_salt = creds.kdf_salt
    return {
        "email": account.email,
        "account_id": account.account_id,
        "kdf_salt": b64encode(creds.kdf_salt),
        "kdf_params": {"t": CHEAP.t, "m_kib": CHEAP.m_kib, "p": CHEAP.p},
        "verifier": int_to_hex(creds.verifier),
        "keyset": b64encode(creds.keyset),
        "hint": account.hint,
        "device_id": device_id or new_device_id(),
        "device_name": device_name,
    }


def signup(http: httpx.Client, account: TestAccount, device_name: str = "laptop") -> Session:
    body = signup_body(account, device_name=device_name)
    response = http.post(f"{API}/accounts", json=body)
    assert response.status_code == 201, response.text
    data = wire.SignupResponse.model_validate(response.json())
    return Session(data.session.token, data.session.device_id, data.generation, body["keyset"])


@dataclass
class Proof:
    login_id: str
    A: str
    M1: str
    client: SrpClient
    start: wire.AuthStartResponse


def prove(http: httpx.Client, account: TestAccount, password: str | None = None) -> Proof:
    """``auth/start`` and the client's proof, for ``auth/finish`` or a password change."""
    response = http.post(f"{API}/auth/start", json={"email": account.email})
    assert response.status_code == 200, response.text
    start = wire.AuthStartResponse.model_validate(response.json())
    params = KdfParams(t=start.kdf_params.t, m_kib=start.kdf_params.m_kib, p=start.kdf_params.p)
    salt = b64decode(start.kdf_salt)
    keys = derive_keys(
        email=account.email,
        password=password or account.password,
        account_key_secret=account.account_key.secret,
        account_id=bytes.fromhex(start.account_id),
        kdf_salt=salt,
        params=params,
        policy=KdfPolicy(floor=CHEAP),
    )
    client = SrpClient(email=account.email, salt=salt, x=keys.srp_x)
    m1 = client.process_challenge(hex_to_int(start.B))
    return Proof(start.login_id, int_to_hex(client.A), m1.hex(), client, start)


def signin_raw(
    http: httpx.Client,
    account: TestAccount,
    *,
    device_id: str | None = None,
    device_name: str = "phone",
    password: str | None = None,
    **extra: Any,
) -> httpx.Response:
    """The finish as sent, answered as it is; ``extra``: more fields of the request."""
    proof = prove(http, account, password)
    return http.post(
        f"{API}/auth/finish",
        json={
            "login_id": proof.login_id,
            "A": proof.A,
            "M1": proof.M1,
            "device_id": device_id or new_device_id(),
            "device_name": device_name,
            **extra,
        },
    )


def signin(
    http: httpx.Client,
    account: TestAccount,
    *,
    device_id: str | None = None,
    device_name: str = "phone",
    password: str | None = None,
    session_idle_seconds: int | None = None,
) -> Session:
    device_id = device_id or new_device_id()
    proof = prove(http, account, password)
    extra = {} if session_idle_seconds is None else {"session_idle_seconds": session_idle_seconds}
    response = http.post(
        f"{API}/auth/finish",
        json={
            "login_id": proof.login_id,
            "A": proof.A,
            "M1": proof.M1,
            "device_id": device_id,
            "device_name": device_name,
            **extra,
        },
    )
    assert response.status_code == 200, response.text
    data = wire.AuthFinishResponse.model_validate(response.json())
    proof.client.verify_server(bytes.fromhex(data.M2))
    keys_auk = account.credentials(password=password, salt=b64decode(proof.start.kdf_salt)).auk
    # The keyset must open: proves the server handed back what sign-up stored.
    assert (
        open_keyset(keys_auk, b64decode(data.keyset), bytes.fromhex(account.account_id), data.generation)
        == account.vault_key
    )
    return Session(data.session.token, device_id, data.generation, data.keyset)


def push(
    http: httpx.Client, session: Session, writes: list[dict[str, Any]], generation: int | None = None
) -> httpx.Response:
    return http.post(f"{API}/vault/push", json={"writes": writes}, headers=session.headers(generation))


def create_items(
    http: httpx.Client, session: Session, account: TestAccount, values: list[dict[str, Any]]
) -> list[str]:
    ids = [secrets.token_hex(16) for _ in values]
    writes = [
        {"item_id": item_id, "base_revision": 0, "envelope": account.seal(item_id, value)}
        for item_id, value in zip(ids, values, strict=True)
    ]
    response = push(http, session, writes)
    assert response.status_code == 200, response.text
    assert all(r["status"] == "ok" for r in response.json()["results"]), response.text
    return ids


def changes(
    http: httpx.Client,
    session: Session,
    since: int = 0,
    limit: int | None = None,
    generation: int | None = None,
) -> httpx.Response:
    params: dict[str, int] = {"since": since}
    if limit is not None:
        params["limit"] = limit
    return http.get(f"{API}/vault/changes", params=params, headers=session.headers(generation))


def sync_all(http: httpx.Client, session: Session, since: int = 0) -> tuple[list[dict[str, Any]], int]:
    out: list[dict[str, Any]] = []
    cursor = since
    while True:
        response = changes(http, session, cursor)
        assert response.status_code == 200, response.text
        data = response.json()
        out.extend(data["changes"])
        cursor = data["cursor"]
        if not data["has_more"]:
            return out, cursor


def reset_body(
    account: TestAccount, *, password: str | None = None, hint: str | None = None, confirm: bool = True
) -> dict[str, Any]:
    """What the reset page would post: new account key, new vault key, next generation.
    Updates ``account`` to the new secrets."""
    account.account_key = AccountKey.generate()
    account.vault_key = new_vault_key()
    account.generation += 1
    if password is not None:
        account.password = password
    creds = account.credentials()
    return {
        "kdf_salt": b64encode(creds.kdf_salt),
        "kdf_params": {"t": CHEAP.t, "m_kib": CHEAP.m_kib, "p": CHEAP.p},
        "verifier": int_to_hex(creds.verifier),
        "keyset": b64encode(creds.keyset),
        "hint": hint,
        "confirm_wipe": confirm,
    }


def password_change_body(
    http: httpx.Client, account: TestAccount, new_password: str, hint: str | None = None
) -> dict[str, Any]:
    """What ``safehold change-password`` would post: a fresh proof of the current password
    and the credentials of ``new_password`` (``account`` itself is left unchanged)."""
    proof = prove(http, account)
    creds = TestAccount(**{**account.__dict__, "password": new_password}).credentials()
    return {
        "login_id": proof.login_id,
        "A": proof.A,
        "M1": proof.M1,
        "kdf_salt": b64encode(creds.kdf_salt),
        "kdf_params": {"t": CHEAP.t, "m_kib": CHEAP.m_kib, "p": CHEAP.p},
        "verifier": int_to_hex(creds.verifier),
        "keyset": b64encode(creds.keyset),
        "hint": hint,
    }
