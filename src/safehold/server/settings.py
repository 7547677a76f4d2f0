"""The server's one configuration object.

Values come, highest priority first, from keyword arguments (the CLI's flags), the
environment (``SAFEHOLD_*``), a TOML file (``--config`` or ``SAFEHOLD_CONFIG``), and the
defaults below. The defaults need no setup: 127.0.0.1:8420, an SQLite file and a mail
outbox in the user's data directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, FilePath, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from safehold import wire
from safehold.crypto import DEFAULT_PARAMS

from .client_address import Network, parse_trusted_proxies

CONFIG_ENV = "SAFEHOLD_CONFIG"
MIB = 1024 * 1024


def default_data_dir() -> Path:
    return platformdirs.user_data_path("safehold-server", appauthor=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFEHOLD_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8420, ge=0, le=65535)
    base_url: str = "http://127.0.0.1:8420"
    data_dir: Path = Field(default_factory=default_data_dir)
    #: SQLAlchemy URL; ``None`` means ``sqlite:///<data_dir>/safehold.db``.
    database_url: str | None = None
    #: Derives the fake sign-in answers for unknown emails. ``None``: generated once and
    #: kept (mode 0600) in ``<data_dir>/server-secret``.
    secret: SecretStr | None = None

    log_file: Path | None = None
    log_level: str = "INFO"
    #: Serve the interactive API docs at /docs and /redoc. Off by default: those pages load
    #: scripts from a CDN without an integrity check, on the same origin as the reset pages.
    api_docs: bool = False

    # Mail. Without an SMTP host every message goes to the outbox folder.
    mail_outbox: Path | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_from: str = "Safehold <safehold@localhost>"
    smtp_timeout: float = 30.0
    #: PEM file of the CA (or the self-signed certificate) to trust for SMTP TLS, besides
    #: the system's; for a mail server with a private certificate.
    smtp_ca_file: FilePath | None = None
    #: Check the SMTP server's certificate and name. Turn off only for a local test relay.
    smtp_verify: bool = True
    #: Send mail inside the request instead of in the background, so a test that gets
    #: the answer can read the mail at once.
    mail_sync: bool = False

    # Limits (spec/api.md).
    max_body_bytes: int = 16 * MIB
    max_envelope_bytes: int = wire.MAX_ENVELOPE_CHARS
    max_items_per_account: int = 100_000

    #: Reverse proxies whose ``X-Forwarded-For`` is believed: addresses or networks,
    #: comma-separated. None by default: the connection's peer is the client.
    trusted_proxies: str = ""

    # Sessions. A session ends when its device has not been seen for the idle lifetime, and
    # in any case at the absolute one; the client then signs in again (with the password).
    session_idle_seconds: float = Field(default=30 * 86_400.0, gt=0)
    session_absolute_seconds: float = Field(default=90 * 86_400.0, gt=0)

    # Sign-in.
    login_ttl_seconds: float = 300.0
    login_free_failures: int = 5
    login_failure_window_seconds: float = 900.0
    login_max_delay_seconds: float = 900.0
    #: /auth/start costs the server one or two 3072-bit exponentiations: per client address,
    #: at most this many starts per window.
    start_limit_per_client: int = Field(default=60, ge=1)
    start_limit_window_seconds: float = Field(default=60.0, gt=0)

    #: Who may create an account: ``open`` (anyone; the quick start), ``verify`` (anyone,
    #: but the account works only once its address is confirmed by a mailed link), or
    #: ``closed`` (only addresses invited with ``safehold-server accounts invite EMAIL``).
    signups: Literal["open", "verify", "closed"] = "open"
    #: How long a confirmation link works; an account still unconfirmed after that can be
    #: signed up for again (it never worked, so it holds nothing).
    verify_token_minutes: float = Field(default=1440.0, gt=0)

    #: Sign-ups per client address per window: sign-up must say "that address is taken",
    #: which tells who has an account, so asking is limited.
    signup_limit_per_client: int = Field(default=10, ge=1)
    signup_limit_window_seconds: float = Field(default=3600.0, gt=0)

    # Reset and hint requests, per address and per client address.
    reset_token_minutes: float = 60.0
    request_limit_per_address: int = 3
    request_limit_per_client: int = 10
    request_limit_window_seconds: float = 3600.0
    #: A reset keeps the old generation (items, keyset, KDF parameters: ciphertext only the
    #: old password and key open) this many days, then the purge removes it. 0 keeps none.
    reset_archive_days: float = Field(default=30.0, ge=0)
    #: Hours between a completed reset form and the reset (docs/reset.md): 0 resets at once;
    #: more lets the account's devices and mailbox hear of it and cancel it.
    reset_delay_hours: float = Field(default=0.0, ge=0)
    #: How often the server purges expired archives and applies due resets (also at start).
    maintenance_interval_seconds: float = Field(default=300.0, gt=0)

    #: Argon2id cost for new keys made by the reset page, and shown to unknown emails.
    default_kdf_params: wire.KdfParams = wire.KdfParams(
        t=DEFAULT_PARAMS.t, m_kib=DEFAULT_PARAMS.m_kib, p=DEFAULT_PARAMS.p
    )

    #: The least Argon2id cost accepted for new keys: at sign-up, password change, key
    #: rotation and reset (spec §3.2's defaults); tests with cheap keys lower it explicitly.
    min_kdf_params: wire.KdfParams = wire.KdfParams(
        t=DEFAULT_PARAMS.t, m_kib=DEFAULT_PARAMS.m_kib, p=DEFAULT_PARAMS.p
    )

    #: Test-only hooks (docs/server.md). Each is ignored unless ``test_hooks_enabled`` is
    #: also set, so a stray variable alone cannot make a production server misbehave.
    test_hooks_enabled: bool = False
    #: Test-only: sleep this long in a reset, so a test can kill the process there:
    #: inside the transaction (``before_commit``) or after it (``after_commit``).
    test_reset_pause_seconds: float = 0.0
    test_reset_pause_at: Literal["before_commit", "after_commit"] = "before_commit"

    @model_validator(mode="after")
    def _strip_base_url(self) -> Settings:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        parse_trusted_proxies(self.trusted_proxies)  # a typo is a config error at start
        return self

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_trusted_proxies(self.trusted_proxies)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = settings_cls.model_config.get("toml_file")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'safehold.db'}"

    @property
    def outbox_dir(self) -> Path:
        return self.mail_outbox or self.data_dir / "outbox"


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings; ``overrides`` (the CLI's flags) beat everything else.

    ``None`` overrides are dropped, so an absent flag leaves the environment in charge.
    """
    path = config_file or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    given = {key: value for key, value in overrides.items() if value is not None}
    if path is None:
        return Settings(**given)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")

    class FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    return FileSettings(**given)
