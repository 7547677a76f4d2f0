"""Commands that read one item: get (by name or by web address), history, totp."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer

from safehold.client.errors import AmbiguousItem, ItemNotFound, UsageError
from safehold.client.items import TEMPLATES, Item, totp_code
from safehold.client.items.lookup import field_info, password_field
from safehold.client.items.search import SECRET_KINDS
from safehold.client.items.urls import host_of, url_match
from safehold.client.vault import StoredItem, Vault

from .clipboard import copy_with_timeout
from .item_cmds import MASK, _item, custom_templates
from .options import FLAG, ItemArg, JsonOpt, StdinOpt
from .plain import plain, quoted, visible
from .state import State, handles_errors, new_table, state


def _copy(st: State, it: Item, label: str, value: str) -> None:
    delay = st.settings.clipboard_clear
    copy_with_timeout(value, delay)
    if st.json:
        st.emit_json({"copied": label, "clear_after": delay})
    else:
        st.out.print(f"Copied {visible(label)} of {quoted(it.title)}; the clipboard is cleared in "
                     f"{delay:g} seconds.", markup=False)  # fmt: skip


def _find_by_url(vault: Vault, url: str) -> StoredItem:
    """The one item whose address has ``url``'s host (else the one on a parent domain)."""
    if host_of(url) is None:
        raise UsageError(f"{url!r} is not an address: give one like https://github.com/login")
    templates = {t.key: t for t in [*TEMPLATES, *custom_templates(vault)]}
    ranked: dict[int, list[StoredItem]] = {1: [], 2: []}
    for stored in vault.all():
        rank = url_match(stored.data, url, templates)
        if rank:
            ranked[rank].append(stored)
    found = ranked[2] or ranked[1]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ItemNotFound(f"no item is saved for {host_of(url)}", hint="`safehold search TEXT` looks wider")
    raise AmbiguousItem(host_of(url) or url, [(s.item_id, s.title) for s in found])


def get(
    item: Annotated[
        str | None, typer.Argument(metavar="[ITEM]", help="Id, exact title or unambiguous prefix.")
    ] = None,
    field: Annotated[str | None, typer.Option("--field", "-f", help="Print only this field's value.")] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Find the login for this address (matched by host).")
    ] = None,
    copy: Annotated[
        bool,
        typer.Option(
            "--copy",
            metavar=FLAG,
            help="Copy the value to the clipboard for 30 s (SAFEHOLD_CLIPBOARD_CLEAR).",
        ),
    ] = False,
    raw: Annotated[
        bool, typer.Option("--raw", metavar=FLAG, help="A one-time-password field's secret, not its code.")
    ] = False,
    reveal: Annotated[
        bool, typer.Option("--reveal", metavar=FLAG, help="Show hidden fields in the table.")
    ] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Show an item, or one field of it (printed alone, for scripts).

    A one-time-password field prints its current code (--raw: the secret). --copy copies
    the password (or --field) instead of printing it. --url finds the item by the host of a
    web address, as a browser does.

    Examples:
      safehold get GitHub
      safehold get GitHub --field password
      safehold get GitHub --field otp
      safehold get --url https://github.com/login --field password --copy
    """
    st = state()
    if (item is None) == (url is None):
        raise UsageError("give an ITEM or --url URL (one of them)")
    with st.vault() as unlocked:
        vault = unlocked.vault
        stored = _find_by_url(vault, url) if url is not None else vault.find(item or "")
        it = _item(stored, custom_templates(vault))
    if copy and field is None:
        found = password_field(it)
        if found is None:
            raise UsageError("this item has no password; say which field: --field NAME --copy")
        _copy(st, it, found.label, found.value)
        return
    if field is not None:
        info = field_info(it, field)
        value = info.value
        if info.kind == "totp" and value and not raw:
            value = totp_code(value).code
        if copy:
            _copy(st, it, info.label, value)
        elif st.json:
            st.emit_json({"id": stored.item_id, "field": field, "label": info.label, "value": value})
        else:
            # Raw into a pipe (scripts need the exact value); at a terminal a value from
            # another device must not drive it: control characters are shown, not obeyed.
            typer.echo(visible(value) if sys.stdout.isatty() else value)
        return
    if st.json:
        st.emit_json({"id": stored.item_id, **it.to_json()})
        return
    kind = plain(it.template.label or it.type)
    table = new_table(title=f"{plain(it.title)}  [dim]({kind}, {stored.item_id})[/]", show_header=False)
    for shown in it.display_fields():
        hidden = shown.kind in SECRET_KINDS and not reveal
        table.add_row(shown.label, MASK if hidden else shown.value)
    if it.tags:
        table.add_row("Tags", ", ".join(it.tags))
    if it.notes:
        table.add_row("Notes", it.notes)
    table.add_row("Modified", it.modified.strftime("%Y-%m-%d %H:%M"))
    st.out.print(table)


def history(
    item: ItemArg,
    reveal: Annotated[bool, typer.Option("--reveal", metavar=FLAG, help="Show the earlier values.")] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Show the earlier values of an item's passwords and hidden fields (masked unless --reveal).

    Examples:
      safehold history GitHub
      safehold history GitHub --reveal
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        it = _item(vault.find(item), custom_templates(vault))
    entries: list[dict[str, str | None]] = [
        {"field": h.field, "value": h.value if reveal else None, "changed": h.changed.isoformat()}
        for h in it.history
    ]
    if st.json:
        st.emit_json(entries)
        return
    if not entries:
        st.out.print(f"{it.title!r} has no earlier values.", markup=False)
        return
    table = new_table("changed", "field", "earlier value")
    for e in reversed(entries):
        table.add_row(str(e["changed"])[:16].replace("T", " "), e["field"], e["value"] if reveal else MASK)
    st.out.print(table)
    if not reveal:
        st.err.print("[dim]values masked; --reveal shows them[/]")


def totp(
    item: ItemArg,
    copy: Annotated[
        bool, typer.Option("--copy", metavar=FLAG, help="Copy the code to the clipboard instead.")
    ] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Print the current one-time password of an item.

    Examples:
      safehold totp GitHub
      safehold totp GitHub --copy
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        it = _item(vault.find(item), custom_templates(vault))
    secret = it.otp_secret()
    if not secret:
        raise ItemNotFound(f"{it.title!r} has no one-time-password secret")
    code = totp_code(secret)
    if copy:
        _copy(st, it, "one-time password", code.code)
        return
    if st.json:
        st.emit_json({"code": code.code, "seconds_left": code.seconds_left, "period": code.period})
    else:
        typer.echo(code.code)
        st.err.print(f"[dim]valid for {code.seconds_left} more seconds[/]")


COMMANDS: dict[str, Callable[..., None]] = {"get": get, "history": history, "totp": totp}


def register(app: typer.Typer) -> None:
    for name, func in COMMANDS.items():
        app.command(name)(handles_errors(func))
