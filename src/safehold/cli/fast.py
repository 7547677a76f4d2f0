"""The `safehold` console entry: the common reads answered in a blink, everything else by
the full CLI (cli/main.py).

A password manager is called from scripts and shell prompts many times a minute, and most
calls are `get ITEM --field F`, `list --json` or `totp ITEM` with the vault unlocked. Loading
the full command tree (Typer, Rich, pydantic, the HTTP client, the crypto bindings) costs far
more than answering. So this entry first looks at the arguments: for exactly those reads,
with the keys held by the agent (no scripted password), it asks the agent, which answers from
its already-open vault with the same domain code (client.reads), and prints what the full
command prints. Anything else, or any doubt (an unknown option, no agent, an item not found,
an ambiguous name), runs the full CLI, which gives the answer or the proper error and exit
code. ``SAFEHOLD_FAST=0`` turns this path off.
"""

from __future__ import annotations

import json
import os
import sys

# Not `from typing import TYPE_CHECKING`: importing typing costs every fast read a few ms.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any


def _get(args: list[str]) -> dict[str, Any] | None:
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


def parse(argv: list[str]) -> dict[str, Any] | None:
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
    return None


def answer(argv: list[str], env: dict[str, str] | os._Environ[str] = os.environ) -> int | None:
    """Answer ``argv`` through the agent; the exit code, or None to run the full CLI."""
    if env.get("SAFEHOLD_FAST") == "0" or env.get("SAFEHOLD_PASSWORD") is not None:
        return None
    request = parse(argv)
    if request is None:
        return None
    from safehold.client.agent import AgentClient
    from safehold.client.paths import (
        choose_agent_socket,
        current_account,
        home_from,
        runtime_dir_from,
        vault_file,
    )

    home = home_from(env)
    account_id = current_account(home)
    if account_id is None:
        return None
    socket_path, _ = choose_agent_socket(home, runtime_dir_from(env))
    agent = AgentClient(socket_path, 0.0)
    got = agent.read({**request, "account_id": account_id, "vault": vault_file(home, account_id)})
    if got is None:
        return None
    result = got.get("answer")
    if request["what"] == "list":
        indent = 2 if sys.stdout.isatty() else None
        sys.stdout.write(json.dumps(result, indent=indent, ensure_ascii=False) + "\n")
    elif request["what"] == "totp" and isinstance(result, dict):
        sys.stdout.write(f"{result['code']}\n")
        sys.stdout.flush()
        sys.stderr.write(f"valid for {result['seconds_left']} more seconds\n")
    else:
        sys.stdout.write(f"{result}\n")
    sys.stdout.flush()
    if env.get("SAFEHOLD_DEBUG"):
        sys.stderr.write("safehold: answered by the agent (fast path)\n")
    return 0


def run() -> None:
    try:
        code = answer(sys.argv[1:])
    except (OSError, ValueError, KeyError, TypeError):
        code = None  # any doubt: the full CLI answers, with its own errors
    if code is not None:
        sys.exit(code)
    from safehold.cli.main import run as full

    full()


if __name__ == "__main__":
    run()
