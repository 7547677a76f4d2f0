"""Where a profile's files and its agent's socket are, from the environment alone.

Plain ``str`` paths and no heavy imports (not even pathlib): the CLI's fast path
(cli/fast.py) finds the agent and the vault file through these before deciding whether to
load anything else. ``ClientSettings`` and ``Profile`` use the same functions, so the layout
is written down once.
"""

from __future__ import annotations

import os

# Not `from typing import TYPE_CHECKING`, and no collections.abc: each costs every fast read.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Mapping

APP_NAME = "safehold"


def default_home() -> str:
    import platformdirs

    return str(platformdirs.user_data_dir(APP_NAME))


def default_runtime_dir() -> str:
    import warnings

    import platformdirs

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, then falls back sensibly.
        warnings.simplefilter("ignore")
        return str(platformdirs.user_runtime_dir(APP_NAME))


def home_from(env: Mapping[str, str] = os.environ) -> str:
    return os.path.abspath(os.path.expanduser(env.get("SAFEHOLD_HOME") or default_home()))


def runtime_dir_from(env: Mapping[str, str] = os.environ) -> str:
    return env.get("SAFEHOLD_RUNTIME_DIR") or default_runtime_dir()


_OFF = ("0", "false", "no", "off")


def fast_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """``SAFEHOLD_FAST``: the CLI's fast path for the common reads, on unless ``0``/``off``.

    Read here rather than only through ``ClientSettings``, whose imports would cost the fast
    path more than it saves; ``ClientSettings.fast`` uses this same function."""
    return env.get("SAFEHOLD_FAST", "").strip().lower() not in _OFF


def debug_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """``SAFEHOLD_DEBUG``: tracebacks for unexpected errors, when set to anything but ``0``/``off``."""
    value = env.get("SAFEHOLD_DEBUG", "").strip().lower()
    return bool(value) and value not in _OFF


def _sha256(data: bytes) -> str:
    try:  # the built-in module: hashlib would load OpenSSL, a few ms of every fast read
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - Pythons that build only hashlib
        from hashlib import sha256
    return str(sha256(data).hexdigest())


def agent_socket(home: str | os.PathLike[str], runtime_dir: str | os.PathLike[str]) -> str:
    """One agent per profile, so two profiles of one user never share keys."""
    tag = _sha256(os.path.abspath(os.fspath(home)).encode())[:16]
    return os.path.join(os.fspath(runtime_dir), f"agent-{tag}.sock")


#: A Unix socket's path must fit in ``sun_path`` (108 bytes on Linux, 104 on macOS).
MAX_SOCKET_PATH = 103


def socket_path_fits(path: str | os.PathLike[str]) -> bool:
    return len(os.fsencode(os.fspath(path))) <= MAX_SOCKET_PATH


def runtime_dir_problem(runtime_dir: str | os.PathLike[str]) -> str | None:
    """Why the agent's socket must not live in ``runtime_dir``, or ``None`` if it may.

    Without ``XDG_RUNTIME_DIR`` the directory is ``/tmp/runtime-<uid>/safehold``: another
    local user can create ``/tmp/runtime-<uid>`` first and then swap what is inside it (or
    make it unreadable, which used to end every command in a traceback). So the directory,
    if it exists, must be ours and 0700, and its parent ours (or root's) and not writable by
    others unless sticky, like ``/tmp`` itself.
    """
    import stat

    directory = os.path.abspath(os.fspath(runtime_dir))
    uid = os.getuid()
    for path, own in ((os.path.dirname(directory), False), (directory, True)):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            return f"the runtime directory {path} cannot be examined ({exc.strerror or exc})"
        if not stat.S_ISDIR(info.st_mode):
            return f"the runtime directory {path} is not a directory"
        if info.st_uid not in ((uid,) if own else (uid, 0)):
            return f"the runtime directory {path} belongs to user id {info.st_uid}, not to you ({uid})"
        mode = stat.S_IMODE(info.st_mode)
        if own and mode != 0o700:
            return f"the runtime directory {path} has mode {mode:04o}, not 0700"
        if not own and mode & 0o022 and not mode & stat.S_ISVTX:
            return f"the runtime directory {path} can be changed by other users (mode {mode:04o})"
    return None


def choose_agent_socket(
    home: str | os.PathLike[str], runtime_dir: str | os.PathLike[str]
) -> tuple[str, str | None]:
    """The agent's socket path, and a note when it is not in ``runtime_dir``.

    An unsafe runtime directory falls back to ``<home>/run/agent.sock`` (the profile is this
    user's own, 0700, and holds one profile, so the name needs no tag): the agent keeps
    working, and nothing is sent to a socket another user could control. A runtime directory
    too long for a Unix socket's path (:data:`MAX_SOCKET_PATH`) falls back the same way. If
    that will not do either, the socket stays in ``runtime_dir`` and the agent client refuses
    to use it (the password is then asked each time); the note is ``None`` then, the refusal
    (``AgentSocketTooLong`` for a long path, naming it and the fix) says why.
    """
    usual = agent_socket(home, runtime_dir)
    problem = runtime_dir_problem(runtime_dir)
    if problem is None and not socket_path_fits(usual):
        # A long XDG_RUNTIME_DIR or SAFEHOLD_RUNTIME_DIR: the socket could not be bound there.
        problem = f"the runtime directory {runtime_dir} is too long for the agent's socket"
    if problem is None:
        return usual, None
    fallback = os.path.join(os.path.abspath(os.fspath(home)), "run")
    path = os.path.join(fallback, "agent.sock")
    if socket_path_fits(path) and runtime_dir_problem(fallback) is None:
        return path, f"{problem}; the agent's socket is in {fallback} instead"
    return usual, None


def vault_file(home: str | os.PathLike[str], account_id: str) -> str:
    return os.path.join(os.fspath(home), "vaults", f"{account_id}.db")


def current_account(home: str | os.PathLike[str]) -> str | None:
    """The account the profile works on, if it has one whose vault still exists."""
    try:
        with open(os.path.join(os.fspath(home), "current"), encoding="utf-8") as marker:
            account_id = marker.read().strip()
    except FileNotFoundError:
        return None
    return account_id if account_id and os.path.exists(vault_file(home, account_id)) else None
