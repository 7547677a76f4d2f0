"""Commands on items: add, edit, get, list, rm, history, totp, generate, report, types."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from safehold.client.errors import ItemNotFound, UsageError
from safehold.client.items import (
    FIELD_KINDS,
    TEMPLATE_ITEM_TYPE,
    TEMPLATES,
    Item,
    ItemError,
    Template,
    generate_passphrase,
    generate_password,
    security_report,
    totp_code,
)
from safehold.client.vault import StoredItem, Vault

from .clipboard import copy_with_timeout
from .options import FLAG, ItemArg, JsonOpt, StdinOpt
from .state import handles_errors, state

FieldOpt = Annotated[
    list[str] | None, typer.Option("--field", "-f", help="NAME=VALUE; repeat for several fields.")
]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", help="A tag; repeat for several.")]

MASK = "••••••••"


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_fields(pairs: list[str] | None) -> list[tuple[str, str]]:
    out = []
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--field takes NAME=VALUE, not {pair!r}")
        out.append((name.strip(), value))
    return out


def custom_templates(vault: Vault) -> list[Template]:
    found = []
    for stored in vault.templates():
        raw = stored.data.get("template", stored.data)
        try:
            found.append(Template.from_json(raw))
        except ItemError:
            continue  # a damaged or newer template must not block the vault
    return found


def _item(stored: StoredItem, templates: list[Template]) -> Item:
    return Item.from_json(stored.data, custom_templates=templates)


def _summary(stored: StoredItem) -> dict[str, Any]:
    data = stored.data
    return {
        "id": stored.item_id,
        "type": data.get("type"),
        "title": data.get("title"),
        "tags": data.get("tags", []),
        "favorite": data.get("favorite", False),
        "modified": data.get("modified"),
    }


def add(
    type_: Annotated[str, typer.Argument(metavar="TYPE", help="Record type, e.g. login, 'Credit Card'.")],
    title: Annotated[str, typer.Option(help="The item's title.")],
    field: FieldOpt = None,
    tag: TagOpt = None,
    notes: Annotated[str | None, typer.Option(help="Free-text notes.")] = None,
    favorite: Annotated[bool, typer.Option(metavar=FLAG, help="Mark as favourite.")] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Add an item. Saved on this device at once; sent to the server at the next sync.

    Examples:
      safehold add login --title GitHub --field username=ann --field password=s3cret
      safehold add "credit card" --title Visa -f number=4111111111111111 -f expiry=12/29
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        templates = custom_templates(vault)
        now = _now()
        item = Item.new(type_, title, now, custom_templates=templates)
        for name, value in _parse_fields(field):
            item.set_field(name, value, now)
        if tag:
            item.set_tags(tag, now)
        if notes is not None:
            item.set_notes(notes, now)
        if favorite:
            item.set_favorite(True, now)
        stored = vault.put(item.to_json())
    if st.json:
        st.emit_json(_summary(stored))
    else:
        st.out.print(f"Saved {stored.title!r} ({stored.item_id}).")


def edit(
    item: ItemArg,
    field: FieldOpt = None,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    tag: TagOpt = None,
    notes: Annotated[str | None, typer.Option(help="New notes.")] = None,
    favorite: Annotated[
        bool | None,
        typer.Option("--favorite/--no-favorite", metavar=FLAG, help="Mark or unmark as favourite."),
    ] = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Change fields of an item; a replaced password goes to the item's history.

    Example:  safehold edit GitHub --field password=n3w-s3cret
    """
    st = state()
    changes = _parse_fields(field)
    if not (changes or title or tag or notes is not None or favorite is not None):
        raise UsageError("nothing to change: give --field NAME=VALUE, --title, --tag or --notes")
    with st.vault() as unlocked:
        vault = unlocked.vault
        templates = custom_templates(vault)
        stored = vault.find(item)
        it = _item(stored, templates)
        now = _now()
        for name, value in changes:
            it.set_field(name, value, now)
        if title:
            it.set_title(title, now)
        if tag:
            it.set_tags(tag, now)
        if notes is not None:
            it.set_notes(notes, now)
        if favorite is not None:
            it.set_favorite(favorite, now)
        saved = vault.put(it.to_json(), stored.item_id)
    if st.json:
        st.emit_json(_summary(saved))
    else:
        st.out.print(f"Saved {saved.title!r}.")


def get(
    item: ItemArg,
    field: Annotated[str | None, typer.Option("--field", "-f", help="Print only this field's value.")] = None,
    copy: Annotated[
        bool, typer.Option("--copy", metavar=FLAG, help="Copy the value to the clipboard for 30 s.")
    ] = False,
    reveal: Annotated[
        bool, typer.Option("--reveal", metavar=FLAG, help="Show hidden fields in the table.")
    ] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Show an item, or one field of it (printed alone, for scripts).

    Examples:
      safehold get GitHub
      safehold get GitHub --field password
      safehold get GitHub --field password --copy
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        stored = vault.find(item)
        it = _item(stored, custom_templates(vault))
    if copy:
        name = field or next((f.key for f in it.secret_fields() if f.is_password), None)
        if name is None:
            raise UsageError("this item has no password; say which field: --field NAME --copy")
        copy_with_timeout(it.get_field(name))
        if st.json:
            st.emit_json({"copied": name, "clear_after": 30})
        else:
            st.out.print(f"Copied {name} of {it.title!r}; the clipboard is cleared in 30 seconds.")
        return
    if field is not None:
        value = it.get_field(field)
        if st.json:
            st.emit_json({"id": stored.item_id, "field": field, "value": value})
        else:
            typer.echo(value)
        return
    if st.json:
        st.emit_json({"id": stored.item_id, **it.to_json()})
        return
    table = Table(title=f"{it.title}  [dim]({it.template.label or it.type}, {stored.item_id})[/]",
                  show_header=False)  # fmt: skip
    for shown in it.display_fields():
        hidden = shown.kind in ("hidden", "totp") and not reveal
        table.add_row(shown.label, MASK if hidden else shown.value)
    if it.tags:
        table.add_row("Tags", ", ".join(it.tags))
    if it.notes:
        table.add_row("Notes", it.notes)
    table.add_row("Modified", it.modified.strftime("%Y-%m-%d %H:%M"))
    st.out.print(table)


def list_(
    type_: Annotated[str | None, typer.Option("--type", help="Only items of this type.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only items with this tag.")] = None,
    search: Annotated[
        str | None, typer.Option(help="Only items whose title, fields or notes contain this.")
    ] = None,
    favorites: Annotated[bool, typer.Option("--favorites", metavar=FLAG, help="Only favourites.")] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """List items (titles and types; no secrets).

    Examples:
      safehold list
      safehold list --type login --search git
      safehold list --json | jq '.[].title'
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        templates = custom_templates(vault)
        items = vault.all()
    wanted_type = None
    if type_:
        from safehold.client.items import find_template

        wanted_type = find_template(type_, templates).key
    needle = search.casefold() if search else None
    shown = []
    for stored in items:
        data = stored.data
        if wanted_type and data.get("type") != wanted_type:
            continue
        if tag and tag.casefold() not in (str(t).casefold() for t in data.get("tags", [])):
            continue
        if favorites and not data.get("favorite"):
            continue
        if needle and not _matches(data, needle):
            continue
        shown.append(stored)
    if st.json:
        st.emit_json([_summary(s) for s in shown])
        return
    table = Table("title", "type", "tags", "id")
    labels = {t.key: t.label for t in [*TEMPLATES, *templates]}
    for s in shown:
        star = "★ " if s.data.get("favorite") else ""
        table.add_row(
            star + s.title, labels.get(s.type, s.type), ", ".join(s.data.get("tags", [])), s.item_id
        )
    st.out.print(table)
    st.out.print(f"[dim]{len(shown)} of {len(items)} items[/]")


def _matches(data: dict[str, Any], needle: str) -> bool:
    """Search titles, notes, tags and non-secret fields; hidden values are never searched."""
    if needle in str(data.get("title", "")).casefold() or needle in str(data.get("notes", "")).casefold():
        return True
    if any(needle in str(t).casefold() for t in data.get("tags", [])):
        return True
    fields = data.get("fields", {})
    if isinstance(fields, dict):
        for key, value in fields.items():
            if "password" in key or key in ("pin", "security_code", "cvv"):
                continue
            if needle in str(value).casefold():
                return True
    return False


def rm(
    item: ItemArg,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Delete an item (on every device after the next sync).

    Example:  safehold rm "Old router"
    """
    st = state()
    with st.vault() as unlocked:
        stored = unlocked.vault.find(item)
        unlocked.vault.delete(stored.item_id)
    if st.json:
        st.emit_json({"deleted": stored.item_id, "title": stored.title})
    else:
        st.out.print(f"Deleted {stored.title!r}.")


def history(
    item: ItemArg,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Show the earlier values of an item's passwords and hidden fields.

    Example:  safehold history GitHub
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        it = _item(vault.find(item), custom_templates(vault))
    entries = [{"field": h.field, "value": h.value, "changed": h.changed.isoformat()} for h in it.history]
    if st.json:
        st.emit_json(entries)
        return
    if not entries:
        st.out.print(f"{it.title!r} has no earlier values.")
        return
    table = Table("changed", "field", "earlier value")
    for e in reversed(entries):
        table.add_row(e["changed"][:16].replace("T", " "), e["field"], e["value"])
    st.out.print(table)


def totp(
    item: ItemArg,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Print the current one-time password of an item.

    Example:  safehold totp GitHub
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        it = _item(vault.find(item), custom_templates(vault))
    secret = it.otp_secret()
    if not secret:
        raise ItemNotFound(f"{it.title!r} has no one-time-password secret")
    code = totp_code(secret)
    if st.json:
        st.emit_json({"code": code.code, "seconds_left": code.seconds_left, "period": code.period})
    else:
        typer.echo(code.code)
        st.err.print(f"[dim]valid for {code.seconds_left} more seconds[/]")


def generate(
    length: Annotated[int | None, typer.Option(help="Characters in a random password (default 20).")] = None,
    words: Annotated[int | None, typer.Option(help="Words in a passphrase instead.")] = None,
    no_symbols: Annotated[
        bool, typer.Option("--no-symbols", metavar=FLAG, help="Letters and digits only.")
    ] = False,
    no_lookalikes: Annotated[
        bool, typer.Option("--no-lookalikes", metavar=FLAG, help="Avoid 0/O, 1/l/I …")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Generate a password or a passphrase and say how strong it is (bits of entropy).

    Examples:
      safehold generate --length 24
      safehold generate --words 6
    """
    st = state()
    if length is not None and words is not None:
        raise UsageError("give --length or --words, not both")
    if words is not None:
        made = generate_passphrase(words=words)
    else:
        made = generate_password(
            length=length or 20, symbols=not no_symbols, exclude_lookalikes=no_lookalikes
        )
    if st.json:
        st.emit_json({"value": made.value, "entropy_bits": round(made.entropy_bits, 1)})
    else:
        typer.echo(made.value)
        st.err.print(f"[dim]{made.entropy_bits:.0f} bits of entropy[/]")


def _where(entry: dict[str, Any]) -> str:
    """A finding's place as a person reads it: ``Title (Field label)``."""
    return f"{entry.get('title', '')} ({entry.get('label') or entry.get('field', '')})"


def report(json_out: JsonOpt = False, password_stdin: StdinOpt = False) -> None:
    """Security report: weak, reused and old passwords, by item (no values shown).

    Examples:
      safehold report
      safehold report --json | jq '.weak[].title'
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        templates = custom_templates(vault)
        pairs = [(s.item_id, _item(s, templates)) for s in vault.all()]
    data = security_report(pairs, _now()).to_json()
    if st.json:
        st.emit_json(data)
        return
    st.out.print(f"Checked {data['checked']} passwords.")
    weak, reused, old = data["weak"], data["reused"], data["old"]
    if not (weak or reused or old):
        st.out.print("[green]No weak, reused or old passwords.[/]")
        return
    if weak:
        table = Table("item", "problem", title=f"Weak passwords ({len(weak)})", title_justify="left")
        for entry in weak:
            table.add_row(_where(entry), entry.get("warning") or f"guessable (score {entry['score']} of 4)")
        st.out.print(table)
    if reused:
        table = Table("places", "count", title=f"Reused passwords ({len(reused)})", title_justify="left")
        for group in reused:
            table.add_row("\n".join(_where(p) for p in group["places"]), str(group["count"]))
        st.out.print(table)
    if old:
        title = f"Passwords older than {data['old_after_days']} days ({len(old)})"
        table = Table("item", "last changed", "age (days)", title=title, title_justify="left")
        for entry in old:
            table.add_row(_where(entry), str(entry["changed"])[:10], str(entry["age_days"]))
        st.out.print(table)


def types(
    add: Annotated[str | None, typer.Option("--add", help="Define a new type with this name.")] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", "-f", help="LABEL[:KIND] of the new type.")
    ] = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """List record types, or define your own (synced like items).

    Examples:
      safehold types
      safehold types --add "Gym locker" --field number --field code:hidden
    """
    st = state()
    if add:
        specs = []
        for raw in field or []:
            label, _, kind = raw.partition(":")
            kind = kind or "text"
            if kind not in FIELD_KINDS:
                raise UsageError(f"field kind must be one of {', '.join(FIELD_KINDS)}, not {kind!r}")
            specs.append((label.strip(), kind))
        template = Template.custom(add, specs)  # type: ignore[arg-type]
        with st.vault() as unlocked:
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
            st.out.print(f"Defined type {template.label!r}.")
        return
    with st.vault() as unlocked:
        templates = custom_templates(unlocked.vault)
    everything = [*TEMPLATES, *templates]
    if st.json:
        st.emit_json([{**t.to_json(), "builtin": t in TEMPLATES} for t in everything])
        return
    table = Table("type", "fields")
    for t in everything:
        table.add_row(t.label, ", ".join(f.label for f in t.fields))
    st.out.print(table)


COMMANDS: dict[str, Callable[..., None]] = {
    "add": add, "edit": edit, "get": get, "list": list_, "rm": rm, "history": history, "totp": totp,
    "generate": generate, "report": report, "types": types,
}  # fmt: skip


def register(app: typer.Typer) -> None:
    for name, func in COMMANDS.items():
        app.command(name)(handles_errors(func))
