"""The client end of the agent's socket, loading nothing but C modules: the checks made before
anything is sent (the directory is this user's own, mode 0700; the peer runs as this user),
and one request and its answer, for the CLI's fast path (cli/fast.py).

Every millisecond of import is a millisecond of every `safehold get`, and the modules the
usual way needs (``socket`` brings ``selectors`` and ``enum``, ``json`` brings ``re``) cost
more than the answer. So this speaks the agent's protocol (one JSON object a line, see
client/agent.py) through ``_socket`` and ``_json``, the C halves of those modules: ``_json``'s
encoder for the request's strings and its scanner (the parser ``json.loads`` itself uses)
for the answer. Where ``_json`` is missing (a Python without the accelerator) the fast path
is simply not taken. The agent (client/agent.py) uses the same checks.
"""

from __future__ import annotations

import os
import stat
import sys

# Not `from typing import TYPE_CHECKING`: importing typing costs every fast read a few ms.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

#: struct ucred {pid_t pid; uid_t uid; gid_t gid;} on Linux: three 32-bit integers.
_UCRED_SIZE = 12


class AgentRefused(OSError):
    """The agent's socket is somewhere another user could control; it is not used."""


class AgentSocketTooLong(AgentRefused):
    """The agent's socket path does not fit in a Unix socket address (``sun_path``): binding
    it would fail, and all a person saw was "the agent did not start"."""

    def __init__(self, path: str) -> None:
        from .paths import MAX_SOCKET_PATH

        self.path = path
        size = len(os.fsencode(path))
        super().__init__(
            f"the agent's socket path {path} is {size} bytes, more than the {MAX_SOCKET_PATH} a Unix "
            "socket allows; set SAFEHOLD_RUNTIME_DIR (or XDG_RUNTIME_DIR) to a shorter directory, "
            f"such as /tmp/safehold-{os.getuid()}, or use a shorter SAFEHOLD_HOME; not using the agent"
        )


def check_socket(path: str | os.PathLike[str]) -> None:
    """Raise :class:`AgentRefused` unless ``path`` can be the agent's socket: in a directory
    that is this user's own (:func:`check_socket_dir`; said first, when both are wrong: it is
    the reason that matters for safety), and short enough for a Unix socket."""
    from .paths import socket_path_fits

    check_socket_dir(os.path.dirname(path))
    if not socket_path_fits(path):
        raise AgentSocketTooLong(os.fspath(path))


def check_socket_dir(directory: str | os.PathLike[str]) -> None:
    """Raise :class:`AgentRefused` unless ``directory`` is this user's own, mode 0700."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return
    except OSError as exc:  # e.g. inside another user's 0700 directory: refuse, not a traceback
        raise AgentRefused(
            f"the agent directory {directory} cannot be examined ({exc.strerror or exc}); not using the agent"
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise AgentRefused(f"the agent directory {directory} is not a directory; not using the agent")
    if info.st_uid != os.getuid():
        raise AgentRefused(
            f"the agent directory {directory} belongs to user id {info.st_uid}, not to you "
            f"({os.getuid()}); not using the agent"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode != 0o700:
        raise AgentRefused(
            f"the agent directory {directory} has mode {mode:04o}, not 0700; not using the agent "
            f"(fix it with `chmod 700 {directory}`)"
        )
    from .paths import runtime_dir_problem

    problem = runtime_dir_problem(directory)  # its parent too: whoever owns it can swap it
    if problem is not None:
        raise AgentRefused(f"{problem}; not using the agent")


def peer_uid(conn: Any) -> int | None:
    """The user id of the process at the other end of a Unix socket; None where the system
    cannot say (no ``SO_PEERCRED``)."""
    import _socket

    option = getattr(_socket, "SO_PEERCRED", None)
    if option is None:
        return None
    creds = conn.getsockopt(_socket.SOL_SOCKET, option, _UCRED_SIZE)
    return int.from_bytes(creds[4:8], sys.byteorder)


def _encode(value: object) -> str:
    import _json

    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return str(_json.encode_basestring_ascii(value))
    raise TypeError(f"a fast request holds strings and flags, not {type(value).__name__}")


class _ScanContext:
    """What ``_json.make_scanner`` reads from a ``json.JSONDecoder``: the defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    def parse_constant(self, name: str) -> float:
        raise ValueError(f"{name} is not in the agent's answers")


def _decode(data: bytes) -> object:
    import _json

    text = data.decode("utf-8").strip()
    # typeshed asks for a make_scanner; the C scanner reads only these attributes of it.
    value, end = _json.make_scanner(_ScanContext())(text, 0)  # type: ignore[arg-type]
    if end != len(text):
        raise ValueError("trailing data after the answer")
    return value


def call(path: str, request: dict[str, str | bool | None], timeout: float = 5.0) -> dict[str, Any] | None:
    """Send ``request`` to the agent at ``path``; its answer, or None when there is no agent
    to ask or it must not be asked (:class:`AgentRefused` for an unsafe directory or peer)."""
    import _socket

    check_socket(path)
    if not os.path.exists(path):
        return None
    line = "{" + ", ".join(f"{_encode(k)}: {_encode(v)}" for k, v in request.items()) + "}\n"
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
        uid = peer_uid(sock)
        if uid is not None and uid != os.getuid():
            raise AgentRefused(
                f"the process listening on {path} runs as user id {uid}, not as you ({os.getuid()}); "
                "not using the agent"
            )
        sock.sendall(line.encode("utf-8"))
        chunks = []
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                break
    finally:
        sock.close()
    answer = _decode(b"".join(chunks)) if chunks else None
    return answer if isinstance(answer, dict) else None
