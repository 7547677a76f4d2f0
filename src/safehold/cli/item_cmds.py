"""Commands on items: add, edit, get, list, rm, history, totp, generate, report, types."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from safehold.client.errors import AmbiguousItem, ItemNotFound, UsageError
from safehold.client.items import (
    CUSTOM_KINDS,
    FIELD_KINDS,
    TEMPLATE_ITEM_TYPE,
    TEMPLATES,
    Generated,
    Item,
    ItemError,
    Template,
    UnknownField,
    UnknownType,
    find_template,
    generate_passphrase,
    generate_password,
    item_matches,
    security_report,
    totp_code,
)
from safehold.client.items.json_input import apply_item_json, item_title, item_type, parse_item_json
from safehold.client.items.lookup import field_info, password_field
from safehold.client.items.search import SECRET_KINDS
from safehold.client.items.trash import TRASH_DAYS
from safehold.client.items.urls import host_of, url_match
from safehold.client.reads import summary
from safehold.client.vault import TEMPLATE_TYPE, StoredItem, Vault, user_templates

from .clipboard import clear_delay, copy_with_timeout
from .field_input import (
    ASK,
    FieldStdinOpt,
    GenerateOpt,
    GeneratorChoice,
    LengthOpt,
    NoLookalikesOpt,
    NoSymbolsOpt,
    PromptOpt,
    SecretInput,
    WordsOpt,
    ask_secret,
    split_asked,
)
from .options import FLAG, ItemArg, JsonOpt, StdinOpt
from .state import State, handles_errors, new_table, state

FieldOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--field",
        "-f",
        help="NAME=VALUE: a field of the item's type (label, key or alias, any case); repeatable.",
    ),
]
CustomOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--custom",
        "-c",
        help=f"NAME[:KIND]=VALUE: a field of your own; KIND is {', '.join(CUSTOM_KINDS)} "
        "(default text); repeatable.",
    ),
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


def _parse_customs(pairs: list[str] | None) -> list[tuple[str, str | None, str]]:
    """``NAME[:KIND]=VALUE`` → (name, kind or None, value). A name cannot itself contain ':'."""
    out = []
    for pair in pairs or []:
        left, sep, value = pair.partition("=")
        name, colon, kind = left.rpartition(":") if ":" in left else (left, "", "")
        kind = kind.strip().casefold()
        if not sep or not name.strip():
            raise UsageError(f"--custom takes NAME=VALUE or NAME:KIND=VALUE, not {pair!r}")
        if colon and kind not in CUSTOM_KINDS:
            raise UsageError(
                f"{kind!r} is not a kind of custom field; the kinds are: {', '.join(CUSTOM_KINDS)}"
            )
        out.append((name.strip(), kind if colon else None, value))
    return out


def _apply(item: Item, fields: list[tuple[str, str]], customs: list[tuple[str, str | None, str]],
           now: datetime) -> None:  # fmt: skip
    """Set fields strictly: a name the type lacks is an error, never a silent custom field."""
    for name, value in fields:
        try:
            item.set_field(name, value, now, strict=True)
        except UnknownField as exc:
            raise UsageError(
                str(exc),
                hint=f"to add a field of your own: --custom {_quote(name)}=VALUE "
                f"(or --custom {_quote(name + ':hidden')}=VALUE for a secret one)",
            ) from None
    for name, kind, value in customs:
        item.set_custom(name, kind, value, now)


def _quote(text: str) -> str:
    return f'"{text}"' if any(ch.isspace() for ch in text) else text


def custom_templates(vault: Vault) -> list[Template]:
    return vault.custom_templates()


def templates_among(stored_items: Iterable[StoredItem]) -> list[Template]:
    """The user-defined templates among ``stored_items`` (others are skipped)."""
    return user_templates(stored_items)


def _item(stored: StoredItem, templates: list[Template]) -> Item:
    return Item.from_json(stored.data, custom_templates=templates)


def _summary(stored: StoredItem) -> dict[str, Any]:
    return summary(stored)


def _gather_secrets(st: State, item: Item, secrets: SecretInput, asked: list[str],
                    now: datetime) -> list[tuple[str, Generated]]:  # fmt: skip
    """Set the fields whose values come from a prompt, stdin or the generator. Every name is
    checked on a copy first, so nobody types a secret for a field that does not exist."""
    names = [*asked, *secrets.prompts, *secrets.generate]
    names += [secrets.stdin_field] if secrets.stdin_field else []
    # Only an unknown name is a UsageError here; an ItemError is about the trial value.
    with contextlib.suppress(ItemError):
        _apply(copy.deepcopy(item), [(name, "x") for name in names], [], now)
    values, made = secrets.values(st)
    values += [(name, ask_secret(name)) for name in asked]
    _apply(item, values, [], now)
    return made


def _split_asked_customs(
    customs: list[tuple[str, str | None, str]],
) -> tuple[list[tuple[str, str | None, str]], list[tuple[str, str | None]]]:
    """``--custom NAME[:KIND]=?`` asks for the value at a hidden prompt, like ``--field NAME=?``."""
    return [c for c in customs if c[2] != ASK], [(n, k) for n, k, v in customs if v == ASK]


def _ask_customs(item: Item, asked: list[tuple[str, str | None]], now: datetime) -> None:
    for name, kind in asked:
        item.set_custom(name, kind, ask_secret(name), now)


def _secret_input(prompt: list[str] | None, field_stdin: str | None, generate: list[str] | None,
                  gen: GeneratorChoice) -> SecretInput:  # fmt: skip
    secrets = SecretInput(list(prompt or []), field_stdin, list(generate or []), gen)
    secrets.check()
    return secrets


def _saved(st: State, stored: StoredItem, made: list[tuple[str, Generated]], verb: str = "Saved") -> None:
    if st.json:
        out = _summary(stored)
        if made:
            out["generated"] = [{"field": n, "entropy_bits": round(g.entropy_bits, 1)} for n, g in made]
        st.emit_json(out)
        return
    st.out.print(f"{verb} {stored.title!r} ({stored.item_id}).", markup=False)
    for name, generated in made:
        shows = f"safehold get {_quote(stored.title)} --field {_quote(name)}"
        st.out.print(f"Generated {name} ({generated.entropy_bits:.0f} bits); `{shows}` shows it.",
                     markup=False)


def add(
    type_: Annotated[
        str,
        typer.Argument(
            metavar="TYPE", help="Record type, e.g. login, 'Credit Card'; - reads the item JSON from stdin."
        ),
    ],
    title: Annotated[str | None, typer.Option(help="The item's title.")] = None,
    field: FieldOpt = None,
    custom: CustomOpt = None,
    tag: TagOpt = None,
    notes: Annotated[str | None, typer.Option(help="Free-text notes.")] = None,
    favorite: Annotated[bool, typer.Option("--favorite", metavar=FLAG, help="Mark as favourite.")] = False,
    prompt: PromptOpt = None,
    field_stdin: FieldStdinOpt = None,
    generate: GenerateOpt = None,
    length: LengthOpt = None,
    words: WordsOpt = None,
    no_symbols: NoSymbolsOpt = False,
    no_lookalikes: NoLookalikesOpt = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Add an item. Saved on this device at once; sent to the server at the next sync.

    --field names a field of the type (`safehold types` lists them); an unknown name is an
    error. --custom adds a field of your own. Give secrets without putting them on the
    command line: --field password=? (or --prompt password) asks twice at a hidden prompt,
    --field-stdin password reads standard input, --generate password makes one. TYPE - reads
    the whole item as JSON from standard input (the shape `safehold get ITEM --json` prints).

    Examples:
      safehold add login --title GitHub -f username=ann -f password=?
      safehold add login --title GitHub --generate password --length 24
      pass show gh | safehold add login --title GitHub --field-stdin password
      safehold add "credit card" --title Visa --prompt number --prompt CVV
      echo '{"type": "login", "title": "Wiki"}' | safehold add --json -
    """
    st = state()
    fields, asked = split_asked(_parse_fields(field))
    customs, asked_customs = _split_asked_customs(_parse_customs(custom))
    secrets = _secret_input(prompt, field_stdin, generate,
                            GeneratorChoice(length, words, no_symbols, no_lookalikes))  # fmt: skip
    from_json = type_ == "-"
    if from_json and secrets.stdin_field:
        raise UsageError("standard input carries the item JSON here: put the value in the JSON instead")
    if not from_json and not title:
        raise UsageError("a new item needs a title: --title TITLE", hint="or give the item as JSON: add -")
    with st.vault() as unlocked:
        vault = unlocked.vault
        templates = custom_templates(vault)
        now = _now()
        data = parse_item_json(st.stdin_rest()) if from_json else None
        if data is not None:
            item = Item.new(item_type(data), title or item_title(data) or "", now, custom_templates=templates)
            apply_item_json(item, data, now)
            if not item.title:
                raise UsageError("the item JSON has no \"title\" (or give --title)")
        else:
            item = Item.new(type_, title or "", now, custom_templates=templates)
        _apply(item, fields, customs, now)
        made = _gather_secrets(st, item, secrets, asked, now)
        _ask_customs(item, asked_customs, now)
        if tag:
            item.set_tags(tag, now)
        if notes is not None:
            item.set_notes(notes, now)
        if favorite:
            item.set_favorite(True, now)
        stored = vault.put(item.to_json())
    _saved(st, stored, made)


def edit(
    item: ItemArg,
    source: Annotated[
        str | None, typer.Argument(metavar="[-]", help="- reads changes as item JSON from standard input.")
    ] = None,
    field: FieldOpt = None,
    custom: CustomOpt = None,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Replace ALL the item's tags with these; repeatable.")
    ] = None,
    add_tag: Annotated[list[str] | None, typer.Option("--add-tag", help="Add a tag; repeatable.")] = None,
    remove_tag: Annotated[
        list[str] | None, typer.Option("--remove-tag", help="Remove a tag; repeatable.")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="New notes.")] = None,
    favorite: Annotated[
        bool | None,
        typer.Option("--favorite/--no-favorite", metavar=FLAG, help="Mark or unmark as favourite."),
    ] = None,
    prompt: PromptOpt = None,
    field_stdin: FieldStdinOpt = None,
    generate: GenerateOpt = None,
    length: LengthOpt = None,
    words: WordsOpt = None,
    no_symbols: NoSymbolsOpt = False,
    no_lookalikes: NoLookalikesOpt = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Change fields of an item; a replaced password goes to the item's history.

    NAME=VALUE with an empty VALUE clears a field (and removes a custom one). --custom
    NAME:KIND=VALUE also changes an existing custom field's kind. New secrets stay off the
    command line with --field password=?, --prompt, --field-stdin or --generate. A - after
    ITEM reads item JSON from standard input and merges it: what it names is set, the rest
    is kept.

    Examples:
      safehold edit GitHub --field password=?
      safehold edit GitHub --generate password --words 5
      safehold edit GitHub --add-tag work --remove-tag old
      safehold get GitHub --json | jq '.notes = "2FA"' | safehold edit GitHub -
    """
    st = state()
    if source not in (None, "-"):
        raise UsageError(f"unexpected argument {source!r}: only - (item JSON on stdin) may follow ITEM")
    from_json = source == "-"
    changes, asked = split_asked(_parse_fields(field))
    customs, asked_customs = _split_asked_customs(_parse_customs(custom))
    secrets = _secret_input(prompt, field_stdin, generate,
                            GeneratorChoice(length, words, no_symbols, no_lookalikes))  # fmt: skip
    if from_json and secrets.stdin_field:
        raise UsageError("standard input carries the item JSON here: put the value in the JSON instead")
    if tag and (add_tag or remove_tag):
        raise UsageError("--tag replaces every tag: use it alone, or --add-tag/--remove-tag")
    if not (changes or customs or asked or asked_customs or title or tag or add_tag or remove_tag
            or notes is not None or favorite is not None or from_json or not secrets.empty):  # fmt: skip
        raise UsageError(
            "nothing to change: give --field NAME=VALUE, --custom NAME=VALUE, --title, --tag, "
            "--add-tag, --remove-tag, --notes, --favorite/--no-favorite, --prompt, --field-stdin, "
            "--generate, or - with JSON on standard input"
        )
    with st.vault() as unlocked:
        vault = unlocked.vault
        templates = custom_templates(vault)
        stored = vault.find(item)
        it = _item(stored, templates)
        now = _now()
        if from_json:
            apply_item_json(it, parse_item_json(st.stdin_rest()), now)
        _apply(it, changes, customs, now)
        made = _gather_secrets(st, it, secrets, asked, now)
        _ask_customs(it, asked_customs, now)
        if title:
            it.set_title(title, now)
        if tag:
            it.set_tags(tag, now)
        for name in add_tag or []:
            if name.casefold() not in (t.casefold() for t in it.tags):
                it.add_tag(name, now)
        for name in remove_tag or []:
            if name.casefold() not in (t.casefold() for t in it.tags):
                have = ", ".join(it.tags) or "(none)"
                raise UsageError(f"{it.title!r} has no tag {name!r}; its tags: {have}")
            it.remove_tag(name, now)
        if notes is not None:
            it.set_notes(notes, now)
        if favorite is not None:
            it.set_favorite(favorite, now)
        saved = vault.put(it.to_json(), stored.item_id)
    _saved(st, saved, made)


def _copy(st: State, it: Item, label: str, value: str) -> None:
    delay = clear_delay()
    copy_with_timeout(value, delay)
    if st.json:
        st.emit_json({"copied": label, "clear_after": delay})
    else:
        st.out.print(f"Copied {label} of {it.title!r}; the clipboard is cleared in {delay:g} seconds.",
                     markup=False)  # fmt: skip


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
            typer.echo(value)
        return
    if st.json:
        st.emit_json({"id": stored.item_id, **it.to_json()})
        return
    table = new_table(title=f"{it.title}  [dim]({it.template.label or it.type}, {stored.item_id})[/]",
                  show_header=False)  # fmt: skip
    for shown in it.display_fields():
        hidden = shown.kind in SECRET_KINDS and not reveal
        table.add_row(shown.label, MASK if hidden else shown.value)
    if it.tags:
        table.add_row("Tags", ", ".join(it.tags))
    if it.notes:
        table.add_row("Notes", it.notes)
    table.add_row("Modified", it.modified.strftime("%Y-%m-%d %H:%M"))
    st.out.print(table)


def search(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="Text to look for (case-insensitive).")],
    type_: Annotated[str | None, typer.Option("--type", help="Only items of this type.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only items with this tag.")] = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Find items whose title, tags, notes or visible fields contain QUERY (never hidden values).

    Examples:
      safehold search git
      safehold search bank --type login --json
    """
    list_(type_=type_, tag=tag, search=query, favorites=False, json_out=json_out,
          password_stdin=password_stdin)  # fmt: skip


def list_(
    type_: Annotated[str | None, typer.Option("--type", help="Only items of this type.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only items with this tag.")] = None,
    search: Annotated[
        str | None,
        typer.Option(help="Only items whose title, tags, notes or visible fields contain this."),
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
        unlocked.vault.purge_expired_trash(_now())
        # One pass over the vault for both: on 10,000 items each pass is noticeable.
        everything = unlocked.vault.all(include_templates=True)
    templates = templates_among(everything)
    items = [it for it in everything if it.type != TEMPLATE_TYPE]
    wanted_type = find_template(type_, templates).key if type_ else None
    by_key = {t.key: t for t in [*TEMPLATES, *templates]}
    shown = []
    for stored in items:
        data = stored.data
        if wanted_type and data.get("type") != wanted_type:
            continue
        if tag and tag.casefold() not in (str(t).casefold() for t in data.get("tags", [])):
            continue
        if favorites and not data.get("favorite"):
            continue
        if search and not item_matches(data, search, by_key):
            continue
        shown.append(stored)
    if st.json:
        st.emit_json([_summary(s) for s in shown])
        return
    if not shown:
        filtered = type_ or tag or search or favorites
        what = f"No items match {search!r}" if search else "No items match" if filtered else "No items yet"
        st.out.print(f"{what} ({len(items)} in the vault).", markup=False)
        return
    table = new_table("title", "type", "tags", "id")
    labels = {t.key: t.label for t in [*TEMPLATES, *templates]}
    for s in shown:
        star = "★ " if s.data.get("favorite") else ""
        table.add_row(
            star + s.title, labels.get(s.type, s.type), ", ".join(s.data.get("tags", [])), s.item_id
        )
    st.out.print(table)
    st.out.print(f"[dim]{len(shown)} of {len(items)} items[/]")


def rm(
    item: ItemArg,
    purge: Annotated[
        bool, typer.Option("--purge", metavar=FLAG, help="Delete for good now instead of to the trash.")
    ] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Move an item to the trash (on every device after the next sync); it is deleted for
    good after 30 days. `safehold trash restore ITEM` brings it back; --purge deletes now.

    Examples:
      safehold rm "Old router"
      safehold rm "Old router" --purge
    """
    st = state()
    with st.vault() as unlocked:
        vault = unlocked.vault
        stored = vault.find(item, trashed=None if purge else False)
        if purge:
            vault.delete(stored.item_id)
        else:
            vault.move_to_trash(stored, _now())
    if st.json:
        st.emit_json({"deleted": stored.item_id, "title": stored.title, "trashed": not purge,
                      "purge_after_days": None if purge else TRASH_DAYS})  # fmt: skip
    elif purge:
        st.out.print(f"Deleted {stored.title!r} for good.", markup=False)
    else:
        back = f"safehold trash restore {_quote(stored.title)}"
        st.out.print(f"Moved {stored.title!r} to the trash; it is deleted for good after {TRASH_DAYS} "
                     f"days (`{back}` brings it back).", markup=False)  # fmt: skip


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


def generate(
    length: Annotated[int | None, typer.Option(help="Characters in a random password (default 20).")] = None,
    words: Annotated[int | None, typer.Option(help="Words in a passphrase instead.")] = None,
    no_lower: Annotated[bool, typer.Option("--no-lower", metavar=FLAG, help="No a–z.")] = False,
    no_upper: Annotated[bool, typer.Option("--no-upper", metavar=FLAG, help="No A–Z.")] = False,
    no_digits: Annotated[bool, typer.Option("--no-digits", metavar=FLAG, help="No 0–9.")] = False,
    no_symbols: Annotated[
        bool, typer.Option("--no-symbols", metavar=FLAG, help="No symbols: letters and digits only.")
    ] = False,
    no_lookalikes: Annotated[
        bool, typer.Option("--no-lookalikes", metavar=FLAG, help="Avoid 0/O, 1/l/I …")
    ] = False,
    separator: Annotated[
        str | None, typer.Option(help="Between a passphrase's words (default '-'; '' for none).")
    ] = None,
    capitalize: Annotated[
        bool, typer.Option("--capitalize", metavar=FLAG, help="Passphrase words start with a capital.")
    ] = False,
    number: Annotated[
        bool, typer.Option("--number", metavar=FLAG, help="Put a digit after one passphrase word.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Generate a password or a passphrase and say how strong it is (bits of entropy).

    A password has at least one character of every class not switched off.

    Examples:
      safehold generate --length 24
      safehold generate --length 6 --no-lower --no-upper --no-symbols     # a 6-digit PIN
      safehold generate --words 6 --separator " " --capitalize
    """
    st = state()
    if length is not None and words is not None:
        raise UsageError("give --length or --words, not both")
    class_flags = {"--no-lower": no_lower, "--no-upper": no_upper, "--no-digits": no_digits,
                   "--no-symbols": no_symbols, "--no-lookalikes": no_lookalikes}  # fmt: skip
    phrase_flags = {"--separator": separator is not None, "--capitalize": capitalize, "--number": number}
    if words is not None:
        wrong = [name for name, given in class_flags.items() if given]
        if wrong:
            raise UsageError(f"{', '.join(wrong)} shape a --length password, not a --words passphrase")
        made = generate_passphrase(
            words=words,
            separator="-" if separator is None else separator,
            capitalize=capitalize,
            add_number=number,
        )
    else:
        wrong = [name for name, given in phrase_flags.items() if given]
        if wrong:
            raise UsageError(f"{', '.join(wrong)} shape a --words passphrase, not a password")
        if no_lower and no_upper and no_digits and no_symbols:
            raise UsageError("every kind of character is switched off: drop one of the --no-… options")
        made = generate_password(
            length=20 if length is None else length,
            lower=not no_lower,
            upper=not no_upper,
            digits=not no_digits,
            symbols=not no_symbols,
            exclude_lookalikes=no_lookalikes,
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
        table = new_table("item", "problem", title=f"Weak passwords ({len(weak)})", title_justify="left")
        for entry in weak:
            table.add_row(_where(entry), entry.get("warning") or f"guessable (score {entry['score']} of 4)")
        st.out.print(table)
    if reused:
        table = new_table("places", "count", title=f"Reused passwords ({len(reused)})", title_justify="left")
        for group in reused:
            table.add_row("\n".join(_where(p) for p in group["places"]), str(group["count"]))
        st.out.print(table)
    if old:
        title = f"Passwords older than {data['old_after_days']} days ({len(old)})"
        table = new_table("item", "last changed", "age (days)", title=title, title_justify="left")
        for entry in old:
            table.add_row(_where(entry), str(entry["changed"])[:10], str(entry["age_days"]))
        st.out.print(table)


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
        st.out.print(f"Defined type {template.label!r}.")


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
        st.out.print(f"Deleted type {template.label!r}.")


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


COMMANDS: dict[str, Callable[..., None]] = {
    "add": add, "edit": edit, "get": get, "list": list_, "search": search, "rm": rm, "history": history,
    "totp": totp,
    "generate": generate, "report": report, "types": types,
}  # fmt: skip


def register(app: typer.Typer) -> None:
    for name, func in COMMANDS.items():
        app.command(name)(handles_errors(func))
