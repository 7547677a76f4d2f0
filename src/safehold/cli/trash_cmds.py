"""`safehold trash list|restore|empty`: items `rm` moved to the trash (items.trash)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from safehold.client.errors import UsageError
from safehold.client.items.trash import TRASH_DAYS, trashed_at
from safehold.client.vault import StoredItem

from .options import FLAG, ItemArg, JsonOpt, StdinOpt
from .state import handles_errors, new_table, state

trash_app = typer.Typer(
    name="trash",
    help="Items deleted with `safehold rm`: kept for 30 days, then deleted for good.",
    no_args_is_help=True,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _entry(stored: StoredItem) -> dict[str, Any]:
    at = trashed_at(stored.data)
    return {
        "id": stored.item_id,
        "title": stored.title,
        "type": stored.type,
        "trashed_at": stored.data.get("trashed_at"),
        "purge_after": (at + timedelta(days=TRASH_DAYS)).isoformat() if at else None,
    }


def list_(json_out: JsonOpt = False, password_stdin: StdinOpt = False) -> None:
    """List the items in the trash and when each is deleted for good.

    Example:  safehold trash list
    """
    st = state()
    with st.vault() as unlocked:
        unlocked.vault.purge_expired_trash(_now())
        entries = [_entry(s) for s in unlocked.vault.trashed()]
    if st.json:
        st.emit_json(entries)
        return
    if not entries:
        st.out.print("The trash is empty.")
        return
    table = new_table("title", "type", "deleted", "gone for good", "id")
    for e in entries:
        table.add_row(e["title"], e["type"], str(e["trashed_at"])[:16].replace("T", " "),
                      str(e["purge_after"] or "-")[:10], e["id"])  # fmt: skip
    st.out.print(table)


def restore(item: ItemArg, json_out: JsonOpt = False, password_stdin: StdinOpt = False) -> None:
    """Take an item out of the trash (on every device after the next sync).

    Example:  safehold trash restore "Old router"
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        restored = vault.restore_from_trash(vault.find(item, trashed=True), _now())
    if st.json:
        st.emit_json({"restored": restored.item_id, "title": restored.title})
    else:
        st.out.print(f"Restored {restored.title!r}.", markup=False)


def empty(
    yes: Annotated[bool, typer.Option("--yes", "-y", metavar=FLAG, help="Do not ask to confirm.")] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Delete every item in the trash for good, on every device after the next sync.

    Example:  safehold trash empty
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        items = vault.trashed()
        if items and not yes:
            if not sys.stdin.isatty() or st.json:
                raise UsageError(f"emptying the trash deletes {len(items)} item(s) for good: add --yes")
            if not typer.confirm(f"Delete {len(items)} item(s) in the trash for good?", default=False):
                st.out.print("Nothing changed.")
                raise typer.Exit(1)
        for stored in items:
            vault.delete(stored.item_id)
    if st.json:
        st.emit_json({"purged": [{"id": s.item_id, "title": s.title} for s in items]})
    else:
        st.out.print(f"Deleted {len(items)} item(s) for good." if items else "The trash was already empty.")


COMMANDS: dict[str, Callable[..., None]] = {"list": list_, "restore": restore, "empty": empty}


def register(app: typer.Typer) -> None:
    for name, func in COMMANDS.items():
        trash_app.command(name)(handles_errors(func))
    app.add_typer(trash_app)
