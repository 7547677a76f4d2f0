"""The client's configuration, read from options and the environment in this one place.

Environment variables (each overridden by the matching command-line option):

* ``SAFEHOLD_SERVER``       server URL used by ``signup``, ``login``, ``hint``, ``reset``
                            (default http://127.0.0.1:8420; plain http:// only to this machine
                            unless ``--insecure-http``)
* ``SAFEHOLD_HOME``         profile directory (vaults, account key file, kits)
* ``SAFEHOLD_PASSWORD``     the account password, for scripts (bypasses the agent)
* ``SAFEHOLD_NEW_PASSWORD`` the new password for ``change-password`` in scripts
* ``SAFEHOLD_KDF_FLOOR``    ``t,m_kib,p``: the weakest Argon2id cost this device accepts. It only
                            ever refuses: new accounts still get the spec's default cost (or the
                            floor, where the floor is higher). Set locally, never by a server
* ``SAFEHOLD_TEST_ONLY_INSECURE_SIGNUP_KDF``  ``t,m_kib,p``: TEST ONLY. The (cheap) Argon2id cost
                            new accounts get, so a test suite need not spend 64 MiB per sign-up.
                            Loudly named so that it is never set by accident; the CLI warns
                            whenever it is used
* ``SAFEHOLD_IDLE_TIMEOUT`` seconds the agent keeps the keys after the last use (default 600)
* ``SAFEHOLD_DEVICE_NAME``  the name other devices see (default: the host name)
* ``SAFEHOLD_KEYSTORE``     ``auto`` (OS keychain if one works, else a file) or ``file``
* ``SAFEHOLD_RUNTIME_DIR``  where the agent's socket lives (default: the user's runtime dir)
* ``SAFEHOLD_OLD_PASSWORD`` the password an archive or a backup was sealed under, for
                            ``archive restore`` and ``restore --kit``
* ``SAFEHOLD_ARCHIVE_DAYS`` days a vault set aside on a reset claim is kept (default 30)
* ``SAFEHOLD_CLIPBOARD_CLEAR`` seconds before ``get --copy`` clears the clipboard (default 30)
* ``SAFEHOLD_DEBUG``        show a traceback for unexpected errors
* ``SAFEHOLD_FAST``         ``0`` turns off the CLI's fast path for the common reads (cli/fast.py,
                            which reads it through :func:`paths.fast_enabled` without loading this)
* ``SAFEHOLD_SYNC_INTERVAL`` seconds between the agent's own syncs while it holds the keys
                            (default 60; 0 turns automatic sync off)
* ``SAFEHOLD_SYNC_DELAY``   seconds the agent waits after a local change before it syncs
                            (default 3), so a burst of edits goes out in one sync
* ``SAFEHOLD_RECOVERY_CODE`` the recovery code (``SHR1-…``), for ``recover --link`` in scripts
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
from .paths import debug_enabled, fast_enabled

#: The server's own default address (safehold-server's settings: 127.0.0.1:8420).
DEFAULT_SERVER = "http://127.0.0.1:8420"
DEFAULT_IDLE_TIMEOUT = 600.0
DEFAULT_ARCHIVE_DAYS = 30
DEFAULT_CLIPBOARD_CLEAR = 30.0
#: A day: a longer wait is more likely a typo than a wish to keep a secret on the clipboard.
MAX_CLIPBOARD_CLEAR = 86_400.0
DEFAULT_SYNC_INTERVAL = 60.0
DEFAULT_SYNC_DELAY = 3.0
APP_NAME = "safehold"


TEST_ONLY_SIGNUP_KDF_ENV = "SAFEHOLD_TEST_ONLY_INSECURE_SIGNUP_KDF"


def parse_kdf_floor(text: str, name: str = "SAFEHOLD_KDF_FLOOR") -> KdfParams:
    try:
        t, m_kib, p = (int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"{name} must be t,m_kib,p (three integers), not {text!r}") from None
    if t < 1 or p < 1 or m_kib < 8 * p:
        raise UsageError(f"{name} needs t ≥ 1, p ≥ 1 and m_kib ≥ 8·p")
    return KdfParams(t=t, m_kib=m_kib, p=p)


def _at_least(params: KdfParams, floor: KdfParams) -> KdfParams:
    return KdfParams(t=max(params.t, floor.t), m_kib=max(params.m_kib, floor.m_kib), p=max(params.p, floor.p))


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


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise UsageError(f"{name} must be a number of seconds (0 or more), not {text!r}")
    return value


@dataclass(frozen=True)
class ClientSettings:
    home: Path
    server: str | None = None
    password: str | None = None
    new_password: str | None = None
    kdf_floor: KdfParams = DEFAULT_PARAMS
    #: TEST ONLY: the Argon2id cost of new accounts (``SAFEHOLD_TEST_ONLY_INSECURE_SIGNUP_KDF``).
    #: ``None`` (always, outside tests): the spec's default. The floor never sets it.
    test_only_insecure_signup_kdf: KdfParams | None = None
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    device_name: str = field(default_factory=platform.node)
    keystore: str = "auto"
    runtime_dir: Path = field(default_factory=_default_runtime_dir)
    #: An automatic backup after this many changes (0: none), keeping the last ``backup_keep``.
    backup_every: int = 5
    backup_keep: int = 10
    old_password: str | None = None
    archive_days: int = DEFAULT_ARCHIVE_DAYS
    #: ``--insecure-http``: allow plain http:// to a server that is not on this machine.
    insecure_http: bool = False
    #: ``SAFEHOLD_CLIPBOARD_CLEAR`` as given; :attr:`clipboard_clear` checks it when the
    #: clipboard is used, so a bad value fails ``--copy`` alone, with its message.
    clipboard_clear_text: str = ""
    debug: bool = False
    fast: bool = True
    sync_interval: float = DEFAULT_SYNC_INTERVAL
    sync_delay: float = DEFAULT_SYNC_DELAY
    recovery_code: str | None = None

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
        cheap_text = env.get(TEST_ONLY_SIGNUP_KDF_ENV)
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
        sync_interval = _seconds(env, "SAFEHOLD_SYNC_INTERVAL", DEFAULT_SYNC_INTERVAL)
        sync_delay = _seconds(env, "SAFEHOLD_SYNC_DELAY", DEFAULT_SYNC_DELAY)
        return cls(
            home=home_path.expanduser().absolute(),
            server=(server or env.get("SAFEHOLD_SERVER") or None),
            password=env.get("SAFEHOLD_PASSWORD"),
            new_password=env.get("SAFEHOLD_NEW_PASSWORD"),
            kdf_floor=parse_kdf_floor(floor_text) if floor_text else DEFAULT_PARAMS,
            test_only_insecure_signup_kdf=(
                parse_kdf_floor(cheap_text, TEST_ONLY_SIGNUP_KDF_ENV) if cheap_text else None
            ),
            idle_timeout=idle,
            device_name=(env.get("SAFEHOLD_DEVICE_NAME") or platform.node() or "device")[:100],
            keystore=keystore,
            runtime_dir=Path(runtime) if runtime else _default_runtime_dir(),
            backup_every=backup_every,
            backup_keep=backup_keep,
            old_password=env.get("SAFEHOLD_OLD_PASSWORD"),
            archive_days=archive_days,
            clipboard_clear_text=env.get("SAFEHOLD_CLIPBOARD_CLEAR", "").strip(),
            debug=debug_enabled(env),
            fast=fast_enabled(env),
            sync_interval=sync_interval,
            sync_delay=sync_delay,
            recovery_code=env.get("SAFEHOLD_RECOVERY_CODE"),
        )

    @property
    def clipboard_clear(self) -> float:
        """Seconds before a copied value is cleared from the clipboard (default 30)."""
        raw = self.clipboard_clear_text
        if not raw:
            return DEFAULT_CLIPBOARD_CLEAR
        try:
            delay = float(raw)
        except ValueError:
            delay = -1.0
        if not 0 < delay <= MAX_CLIPBOARD_CLEAR:  # also refuses nan and inf
            raise UsageError(
                f"SAFEHOLD_CLIPBOARD_CLEAR must be a number of seconds between 0 and 86400, not {raw!r}"
            )
        return delay

    @property
    def kdf_policy(self) -> KdfPolicy:
        return KdfPolicy(floor=self.kdf_floor)

    @property
    def signup_params(self) -> KdfParams:
        """The cost of a new account: the spec's default, raised to the floor if the floor is
        higher. The floor only ever refuses or raises: a stray ``SAFEHOLD_KDF_FLOOR=1,8,1``
        must not create a cheap account. Only the loudly named test-only setting lowers it,
        and even then not below this device's floor (the device would refuse its own account)."""
        if self.test_only_insecure_signup_kdf is not None:
            return _at_least(self.test_only_insecure_signup_kdf, self.kdf_floor)
        return _at_least(DEFAULT_PARAMS, self.kdf_floor)

    @property
    def server_url(self) -> str:
        return (self.server or DEFAULT_SERVER).rstrip("/")

    @property
    def agent_socket(self) -> Path:
        """One agent per profile, so two profiles of one user never share keys; in a safe
        directory (see :attr:`runtime_note`)."""
        from .paths import choose_agent_socket

        return Path(choose_agent_socket(self.home, self.runtime_dir)[0])

    @property
    def runtime_note(self) -> str | None:
        """Why the agent's socket is not in the runtime directory, if it moved elsewhere."""
        from .paths import choose_agent_socket

        return choose_agent_socket(self.home, self.runtime_dir)[1]


_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


def is_loopback_host(host: str) -> bool:
    """True for a name or address that never leaves this machine."""
    import ipaddress

    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_server_url(url: str, *, insecure_http: bool) -> None:
    """Refuse a server URL the client must not talk to.

    Plain ``http://`` is allowed only to this machine: on any network the session token,
    every sealed item and the answers that claim an account reset would pass in clear and
    could be changed on the way. ``--insecure-http`` is the person saying they know.
    """
    from urllib.parse import urlsplit

    from .errors import InsecureServer

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise UsageError(f"not a server URL: {url!r}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise UsageError(f"not a server URL: {url!r}", hint="give one like https://safehold.example.com")
    if parts.scheme == "http" and not is_loopback_host(host) and not insecure_http:
        raise InsecureServer(
            f"refusing plain http:// to {host}: the session token and the server's answers "
            "(including claims that the account was reset) would cross the network unencrypted "
            "and could be read or changed on the way",
            hint="use https://, or pass --insecure-http if this network is yours and you accept that",
        )
