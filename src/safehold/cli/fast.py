"""The `safehold` console entry: the common reads answered in a blink, everything else by
the full CLI (cli/main.py).

A password manager is called from scripts and shell prompts many times a minute, and most
calls are `get ITEM --field F`, `list --json`, `totp ITEM` or `status [--json]` with the
vault unlocked. Loading
the full command tree (Typer, Rich, pydantic, the HTTP client, the crypto bindings) costs far
more than answering. So this entry first looks at the arguments: for exactly those reads,
with the keys held by the agent (no scripted password), it asks the agent, which answers from
its already-open vault with the same domain code (client.reads), and prints what the full
command prints. Anything else, or any doubt (an unknown option, no agent, an item not found,
an ambiguous name), runs the full CLI, which gives the answer or the proper error and exit
code. ``SAFEHOLD_FAST=0`` turns this path off (read by ``client.paths``, as ``ClientSettings``
reads it, without loading the settings' imports).
"""

from __future__ import annotations

import os
import sys


def _get(args: list[str]) -> dict[str, str | bool] | None:
    """``get ITEM --field F [--raw]`` in any order; None for any other shape."""
    item = field = None
    raw = False
    rest = list(args)
    while rest:
        token = rest.pop(0)
        if token in ("--field", "-f") and rest and field is None:
            field = rest.pop(0)
        elif token.startswith("--field=") and field is None:
            field = token.split("=", 1)[1]
        elif token == "--raw":
            raw = True
        elif not token.startswith("-") and item is None:
            item = token
        else:
            return None
    if not item or not field:
        return None
    return {"what": "field", "item": item, "field": field, "raw": raw}


def _has_archives(home: str) -> bool:
    try:
        with os.scandir(os.path.join(home, "archives")) as entries:
            return any(True for _ in entries)
    except FileNotFoundError:
        return False


def parse(argv: list[str]) -> dict[str, str | bool] | None:
    """The read ``argv`` asks for, or None when the full CLI must run."""
    if not argv:
        return None
    command, args = argv[0], argv[1:]
    if command == "get":
        return _get(args)
    if command == "list" and args == ["--json"]:
        return {"what": "list"}
    if command == "totp" and len(args) == 1 and not args[0].startswith("-"):
        return {"what": "totp", "item": args[0]}
    if command == "status" and args in ([], ["--json"]):
        return {"what": "status", "json": args == ["--json"]}
    return None


def answer(argv: list[str], env: dict[str, str] | os._Environ[str] = os.environ) -> int | None:
    """Answer ``argv`` through the agent; the exit code, or None to run the full CLI."""
    from safehold.client.paths import (
        choose_agent_socket,
        current_account,
        debug_enabled,
        fast_enabled,
        home_from,
        runtime_dir_from,
        vault_file,
    )

    # A scripted password means the person wants it used, not the agent (ClientSettings.password).
    if not fast_enabled(env) or env.get("SAFEHOLD_PASSWORD") is not None:
        return None
    request = parse(argv)
    if request is None:
        return None
    from safehold.client import agentwire

    home = home_from(env)
    account_id = current_account(home)
    if account_id is None:
        return None
    if request["what"] == "status":
        # The full command also purges expired archives and warns of ones due: it runs
        # whenever there are any. The key's place is looked up as its settings would.
        if _has_archives(home):
            return None
        request = {**request, "home": home, "keystore": env.get("SAFEHOLD_KEYSTORE", "auto")}
    # agentwire.call refuses a directory another user could control (AgentRefused, an
    # OSError: run() falls back to the full CLI, which says why).
    socket_path, moved = choose_agent_socket(home, runtime_dir_from(env))
    got = agentwire.call(
        socket_path,
        {"op": "print", **request, "account_id": account_id, "vault": vault_file(home, account_id),
         "tty": sys.stdout.isatty()},
    )  # fmt: skip
    if got is None or got.get("ok") is not True:
        return None
    out, err = got.get("stdout"), got.get("stderr")
    if not isinstance(out, str) or not isinstance(err, str):
        return None
    sys.stdout.write(out)
    sys.stdout.flush()
    if moved is not None:
        # What the full CLI says whenever it reaches the agent (State.agent), said alike.
        from safehold.client.text import visible

        sys.stderr.write(f"warning: {visible(moved)}\n")
    if err:
        sys.stderr.write(err)
    if debug_enabled(env):
        sys.stderr.write("safehold: answered by the agent (fast path)\n")
    return 0


def _help(argv: list[str]) -> bool:
    """``[COMMAND …] --help``: print the help kept from the last time (cli/helpcache.py) or
    run the full CLI, keeping a copy of what it prints. False when this is no help request."""
    from safehold.client.paths import debug_enabled, fast_enabled

    from . import helpcache

    if not helpcache.is_help(argv) or not fast_enabled():
        return False
    try:
        text = helpcache.cached(argv)
    except (OSError, ValueError):
        text = None
    if text is None:
        from safehold.cli.main import run as full

        helpcache.run_and_keep(argv, full)
        return True  # pragma: no cover - run_and_keep exits
    sys.stdout.write(text)
    sys.stdout.flush()
    if debug_enabled():
        sys.stderr.write("safehold: help as printed last time (fast path)\n")
    sys.exit(0)


def run() -> None:
    argv = sys.argv[1:]
    try:
        code = answer(argv)
    except (OSError, ValueError, KeyError, TypeError):
        code = None  # any doubt: the full CLI answers, with its own errors
    if code is not None:
        sys.exit(code)
    if _help(argv):
        return
    from safehold.cli.main import run as full

    full()


if __name__ == "__main__":
    run()
