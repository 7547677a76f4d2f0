"""The client's configuration, read from options and the environment in this one place.

Environment variables (each overridden by the matching command-line option):

* ``SAFEHOLD_SERVER``       server URL used by ``signup``, ``login``, ``hint``, ``reset``
* ``SAFEHOLD_HOME``         profile directory (vaults, account key file, kits)
* ``SAFEHOLD_PASSWORD``     the account password, for scripts (bypasses the agent)
* ``SAFEHOLD_NEW_PASSWORD`` the new password for ``change-password`` in scripts
* ``SAFEHOLD_KDF_FLOOR``    ``t,m_kib,p``: the weakest Argon2id cost this device accepts and the
                            cost new accounts get. Only for tests and slow devices; it can only
                            be set locally, never by a server
* ``SAFEHOLD_IDLE_TIMEOUT`` seconds the agent keeps the keys after the last use (default 600)
* ``SAFEHOLD_DEVICE_NAME``  the name other devices see (default: the host name)
* ``SAFEHOLD_KEYSTORE``     ``auto`` (OS keychain if one works, else a file) or ``file``
* ``SAFEHOLD_RUNTIME_DIR``  where the agent's socket lives (default: the user's runtime dir)
* ``SAFEHOLD_OLD_PASSWORD`` the password an archive or a backup was sealed under (``archive restore``, ``restore --kit``)
* ``SAFEHOLD_ARCHIVE_DAYS`` days a vault set aside on a reset claim is kept (default 30)
"""

from __future__ import annotations

import os
import platform
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from safehold.crypto import DEFAULT_PARAMS, KdfParams, KdfPolicy

from .errors import UsageError

DEFAULT_SERVER = "http://127.0.0.1:8000"
DEFAULT_IDLE_TIMEOUT = 600.0
DEFAULT_ARCHIVE_DAYS = 30
APP_NAME = "safehold"


def parse_kdf_floor(text: str) -> KdfParams:
    try:
        t, m_kib, p = (int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"SAFEHOLD_KDF_FLOOR must be t,m_kib,p (three integers), not {text!r}") from None
    if t < 1 or p < 1 or m_kib < 8 * p:
        raise UsageError("SAFEHOLD_KDF_FLOOR needs t ≥ 1, p ≥ 1 and m_kib ≥ 8·p")
    return KdfParams(t=t, m_kib=m_kib, p=p)


def _default_runtime_dir() -> Path:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, then falls back sensibly.
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_runtime_dir(APP_NAME))


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default
    if not text.isdigit():
        raise UsageError(f"{name} must be a whole number, not {text!r}")
    return int(text)


@dataclass(frozen=True)
class ClientSettings:
    home: Path
    server: str | None = None
    password: str | None = None
    new_password: str | None = None
    kdf_floor: KdfParams = DEFAULT_PARAMS
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    device_name: str = field(default_factory=platform.node)
    keystore: str = "auto"
    runtime_dir: Path = field(default_factory=_default_runtime_dir)
    #: An automatic backup after this many changes (0: none), keeping the last ``backup_keep``.
    backup_every: int = 5
    backup_keep: int = 10
    old_password: str | None = None
    archive_days: int = DEFAULT_ARCHIVE_DAYS

    @classmethod
    def load(
        cls,
        *,
        server: str | None = None,
        home: str | Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ClientSettings:
        env = os.environ if env is None else env
        home_path = Path(home or env.get("SAFEHOLD_HOME") or platformdirs.user_data_dir(APP_NAME))
        floor_text = env.get("SAFEHOLD_KDF_FLOOR")
        idle_text = env.get("SAFEHOLD_IDLE_TIMEOUT")
        try:
            idle = float(idle_text) if idle_text else DEFAULT_IDLE_TIMEOUT
        except ValueError:
            raise UsageError(
                f"SAFEHOLD_IDLE_TIMEOUT must be a number of seconds, not {idle_text!r}"
            ) from None
        keystore = env.get("SAFEHOLD_KEYSTORE", "auto")
        if keystore not in ("auto", "file"):
            raise UsageError("SAFEHOLD_KEYSTORE must be 'auto' or 'file'")
        runtime = env.get("SAFEHOLD_RUNTIME_DIR")
        backup_every = _count(env, "SAFEHOLD_BACKUP_EVERY", 5)
        backup_keep = _count(env, "SAFEHOLD_BACKUP_KEEP", 10)
        days_text = env.get("SAFEHOLD_ARCHIVE_DAYS")
        try:
            archive_days = int(days_text) if days_text else DEFAULT_ARCHIVE_DAYS
        except ValueError:
            archive_days = -1
        if archive_days < 1:
            raise UsageError(f"SAFEHOLD_ARCHIVE_DAYS must be a whole number of days ≥ 1, not {days_text!r}")
        return cls(
            home=home_path.expanduser().absolute(),
            server=(server or env.get("SAFEHOLD_SERVER") or None),
            password=env.get("SAFEHOLD_PASSWORD"),
            new_password=env.get("SAFEHOLD_NEW_PASSWORD"),
            kdf_floor=parse_kdf_floor(floor_text) if floor_text else DEFAULT_PARAMS,
            idle_timeout=idle,
            device_name=(env.get("SAFEHOLD_DEVICE_NAME") or platform.node() or "device")[:100],
            keystore=keystore,
            runtime_dir=Path(runtime) if runtime else _default_runtime_dir(),
            backup_every=backup_every,
            backup_keep=backup_keep,
            old_password=env.get("SAFEHOLD_OLD_PASSWORD"),
            archive_days=archive_days,
        )

    @property
    def kdf_policy(self) -> KdfPolicy:
        return KdfPolicy(floor=self.kdf_floor)

    @property
    def signup_params(self) -> KdfParams:
        """New accounts get the floor: the defaults normally, a cheap cost under test."""
        return self.kdf_floor

    @property
    def server_url(self) -> str:
        return (self.server or DEFAULT_SERVER).rstrip("/")

    @property
    def agent_socket(self) -> Path:
        """One agent per profile, so two profiles of one user never share keys."""
        from .paths import agent_socket

        return Path(agent_socket(self.home, self.runtime_dir))
