"""What ``safehold status`` says, gathered and written out in one place.

Two callers print it: the full command (cli/account_cmds.py) and the agent, which answers
``status`` for the CLI's fast path (cli/fast.py, client/reads.py) without the command tree
being loaded. Both call :func:`gather` and :func:`render`, so they print the same bytes by
construction, not by keeping two copies in step.

Nothing here asks the network or a password: status reads the local vault file, and what
the caller already knows (whether the agent holds the keys, where the account key is kept,
the agent's sync plan, the conflict copies' titles when the vault is unlocked).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from .autosync import last_sync
from .pending_reset import PendingReset, recalled
from .store import VaultStore
from .text import visible

__all__ = ["PASSWORD_CHANGED_META", "gather", "human_duration", "render"]

#: The vault file's note that the password was changed on another device (client/account.py
#: writes it; repeated here so the agent need not load the account module).
PASSWORD_CHANGED_META = "password_changed_elsewhere"


def human_duration(seconds: float) -> str:
    """``seconds`` as a person says it: "45 seconds", "10 minutes", "1 hour 30 minutes"."""
    whole = max(0, round(seconds))
    if whole < 120 and whole % 60:
        return f"{whole} second{'' if whole == 1 else 's'}"
    minutes = round(whole / 60)
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'' if hours == 1 else 's'}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} minute{'' if rest == 1 else 's'}")
    return " ".join(parts)


def gather(
    store: VaultStore,
    account_id: str,
    *,
    unlocked: bool,
    keystore: str,
    auto_sync: dict[str, Any] | None,
    titles: dict[str, str],
) -> dict[str, Any]:
    """Everything status shows, as ``status --json`` prints it. ``titles``: conflict copies'
    titles by copy id, when the vault could be opened (the file keeps none in clear)."""
    conflicts = store.conflicts()
    where = store.folder
    transport = {"kind": "folder", "where": where} if where else {"kind": "server", "where": store.server}
    pending = recalled(store)
    return {
        "email": store.email,
        "server": None if where else store.server,
        "account_id": account_id,
        "generation": store.generation,
        "device_id": store.device_id,
        "device_name": store.device_name,
        "items": store.item_count(),
        "pending": len(store.outbox()),
        "cursor": store.cursor,
        "transport": transport,
        "last_sync": last_sync(store),
        "quarantine": [
            {"item_id": item, "revision": rev, "device": dev, "seq": seq, "first_seen": first, "tries": tries}
            for item, rev, dev, seq, _, first, tries in store.quarantined()
        ],
        "unlocked": unlocked,
        "keystore": keystore,
        "vault_file": str(store.path),
        "conflicts": [{**dataclasses.asdict(c), "title": titles.get(c.copy_id)} for c in conflicts],
        "password_changed_elsewhere": store.meta(PASSWORD_CHANGED_META) or None,
        "hint": store.meta("hint") or None,
        "auto_sync": auto_sync,
        "pending_reset": pending.to_json() if pending else None,
    }


def render(info: dict[str, Any], *, json_out: bool, tty: bool) -> tuple[str, str]:
    """``(stdout, stderr)`` as status prints them: JSON (indented at a terminal, as every
    ``--json`` is), or the table and its notes. Text from elsewhere (titles, names, the
    server's words) is made visible: no terminal escapes pass."""
    if json_out:
        return json.dumps(info, indent=2 if tty else None, ensure_ascii=False) + "\n", ""
    err = ""
    pending = _pending(info.get("pending_reset"))
    if pending is not None:
        err = pending_reset_warning(pending) + "\n"
    where = info["transport"]
    rows = [
        ("Account", info["email"]),
        ("Folder" if where["kind"] == "folder" else "Server", where["where"]),
        ("Device", info["device_name"]),
        ("Items", info["items"]),
        ("Edits waiting to sync", info["pending"]),
        ("Account key in", info["keystore"]),
        ("State", "unlocked" if info["unlocked"] else "locked"),
        ("Last sync", _last_sync_text(info["last_sync"])),
    ]
    if info["auto_sync"] is not None:
        rows.append(("Automatic sync", _auto_sync_text(info["auto_sync"])))
    width = max(len(label) for label, _ in rows)
    lines = [f"{label.ljust(width)}  {visible(value)}" for label, value in rows]
    lines += _findings(info["last_sync"], info["quarantine"])
    if info["password_changed_elsewhere"]:
        told = _when(info["password_changed_elsewhere"])
        lines += ["", f"The account password was changed on another device (this device was told on "
                      f"{told}): run `safehold unlock` with the new one."]  # fmt: skip
        if info["hint"]:
            lines.append(f"The new password's hint: {visible(info['hint'])}")
    conflicts = info["conflicts"]
    if conflicts:
        lines += ["", f"{len(conflicts)} conflict copies (both versions kept; review them):"]
        unknown = "(unlock to see the title)"
        lines += [f"  {c['copy_id']}  {visible(c['title'] or unknown)}" for c in conflicts]
        lines.append("Keep the values you want in the original, then `safehold rm` the copy.")
    return "\n".join(lines) + "\n", err


def pending_reset_warning(pending: PendingReset) -> str:
    """The server said a reset of this account is scheduled (issue 14 §6): what, from where,
    when, and how to stop it."""
    when = "%Y-%m-%d %H:%M UTC"
    return (
        f"warning: a reset of this account was requested on {pending.requested_at.strftime(when)} from "
        f"{visible(pending.requested_from)}; it takes effect on {pending.effective_at.strftime(when)} "
        "(new password and account key, every device signed out). If this was not you: "
        "`safehold reset --cancel`."
    )


def _pending(data: object) -> PendingReset | None:
    if not isinstance(data, dict):
        return None
    try:
        return PendingReset(
            requested_at=datetime.fromisoformat(data["requested_at"]),
            requested_from=str(data["requested_from"]),
            effective_at=datetime.fromisoformat(data["effective_at"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _when(text: str | None) -> str:
    if not text:
        return "-"
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _last_sync_text(last: dict[str, Any] | None) -> str:
    if last is None:
        return "never"
    who = "by the agent" if last.get("by") == "agent" else "by a command"
    if not last.get("ok"):
        return f"{last.get('at')} {who}: failed: {last.get('error')}"
    found = f"{last.get('pulled', 0)} received, {last.get('pushed', 0)} sent"
    if last.get("conflicts"):
        found += f", {last['conflicts']} conflict copies"
    return f"{last.get('at')} {who}: {found}"


def _auto_sync_text(state: dict[str, Any]) -> str:
    every, next_in = human_duration(float(state["interval"])), human_duration(float(state["next_in"]))
    text = f"every {every}; next in {next_in}"
    if state.get("failures"):
        text += f" ({state['failures']} failed in a row, backing off)"
    return text


def _findings(last: dict[str, Any] | None, quarantine: list[dict[str, Any]]) -> list[str]:
    """What storage did wrong, as the last sync found it."""
    lines: list[str] = []
    if quarantine:
        lines += ["", f"{len(quarantine)} record(s) in quarantine (did not open; retried at each sync):"]
        lines += [f"  {q['item_id']}  revision {q['revision']}, first seen {visible(q['first_seen'])}"
                  for q in quarantine]  # fmt: skip
    if last and last.get("refused"):
        lines += ["", f"{len(last['refused'])} record(s) refused at the last sync (local copy kept):"]
        lines += [f"  {r['item_id']}  {visible(r['reason'])}" for r in last["refused"]]
    if last and last.get("gaps"):
        lines += ["", f"{len(last['gaps'])} write(s) withheld by storage at the last sync:"]
        lines += [f"  device {g['device']} write {g['seq']} (item {g['item_id']})" for g in last["gaps"]]
    return lines
