"""`safehold types`: list the record types, define your own (synced like items), delete one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import typer

from safehold.client.errors import UsageError
from safehold.client.items import (
    FIELD_KINDS,
    TEMPLATE_ITEM_TYPE,
    TEMPLATES,
    ItemError,
    Template,
    UnknownType,
    find_template,
)
from safehold.client.vault import StoredItem

from .item_cmds import _quote, custom_templates
from .options import JsonOpt, StdinOpt
from .plain import plain
from .state import handles_errors, new_table, state


def _now() -> datetime:
    return datetime.now(UTC)


def types(
    add: Annotated[str | None, typer.Option("--add", help="Define a new type with this name.")] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", "-f", help="LABEL[:KIND] of the new type.")
    ] = None,
    remove: Annotated[
        str | None, typer.Option("--remove", help="Delete a type you defined (no item may use it).")
    ] = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """List record types, or define your own (synced like items), or delete one.

    A type still used by items is not deleted: the message lists them; delete or move them first.
    Built-in types cannot be deleted.

    Examples:
      safehold types
      safehold types --add "Gym locker" --field number --field code:hidden
      safehold types --remove "Gym locker"
    """
    if add and remove:
        raise UsageError("give --add or --remove, not both")
    if field and not add:
        raise UsageError("--field describes a new type's fields: use it with --add NAME")
    if add:
        _add_type(add, field)
    elif remove:
        _remove_type(remove)
    else:
        _list_types()


def _add_type(name: str, field: list[str] | None) -> None:
    st = state()
    specs = []
    for raw in field or []:
        label, _, kind = raw.partition(":")
        kind = kind.strip().casefold() or "text"
        if kind not in FIELD_KINDS:
            raise UsageError(f"field kind must be one of {', '.join(FIELD_KINDS)}, not {kind!r}")
        specs.append((label.strip(), kind))
    template = Template.custom(name, specs)  # type: ignore[arg-type]
    with st.vault() as unlocked:
        try:
            existing = find_template(name, custom_templates(unlocked.vault))
        except UnknownType:
            existing = None
        if existing is not None:
            raise UsageError(
                f"there is already a type called {existing.label!r}",
                hint="`safehold types` lists them; pick another name"
                + (
                    ""
                    if existing.builtin
                    else f" or `safehold types --remove {_quote(existing.label)}` first"
                ),
            )
        now = _now().isoformat().replace("+00:00", "Z")
        data = {
            "v": 1,
            "type": TEMPLATE_ITEM_TYPE,
            "title": template.label,
            "fields": {},
            "custom": [],
            "tags": [],
            "favorite": False,
            "notes": "",
            "created": now,
            "modified": now,
            "history": [],
            "template": template.to_json(),
        }
        unlocked.vault.put(data)
    if st.json:
        st.emit_json(template.to_json())
    else:
        st.out.print(f"Defined type {plain(repr(template.label))}.")


def _remove_type(name: str) -> None:
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        template = find_template(name, custom_templates(vault))
        if template.builtin:
            raise UsageError(f"{template.label!r} is a built-in type; only types you defined can be deleted")
        users = [s for s in vault.all() if s.type == template.key]
        if users:
            shown = ", ".join(repr(s.title) for s in users[:5]) + (" …" if len(users) > 5 else "")
            count = "1 item still uses" if len(users) == 1 else f"{len(users)} items still use"
            raise UsageError(
                f"{count} the type {template.label!r}: {shown}",
                hint=f"delete them first (`safehold list --type {_quote(template.label)}` lists them)",
            )
        # Two devices may each have defined the same type before syncing: remove every copy.
        removed = [s.item_id for s in vault.templates() if _stored_key(s) == template.key]
        for item_id in removed:
            vault.delete(item_id)
    if st.json:
        st.emit_json({"removed": template.label, "key": template.key, "definitions": len(removed)})
    else:
        st.out.print(f"Deleted type {plain(repr(template.label))}.")


def _stored_key(stored: StoredItem) -> str | None:
    try:
        return Template.from_json(stored.data.get("template", stored.data)).key
    except ItemError:
        return None


def _list_types() -> None:
    st = state()
    with st.vault() as unlocked:
        templates = custom_templates(unlocked.vault)
    everything = [*TEMPLATES, *templates]
    if st.json:
        st.emit_json([{**t.to_json(), "builtin": t.builtin} for t in everything])
        return
    table = new_table("type", "fields")
    for t in everything:
        table.add_row(t.label, ", ".join(f.label for f in t.fields))
    st.out.print(table)


COMMANDS: dict[str, Callable[..., None]] = {"types": types}


def register(app: typer.Typer) -> None:
    for name, func in COMMANDS.items():
        app.command(name)(handles_errors(func))
