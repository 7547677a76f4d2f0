"""Commands on items: add, edit, get, list, rm, history, totp, generate, report, types."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from safehold.client.errors import UsageError
from safehold.client.items import (
    CUSTOM_KINDS,
    TEMPLATES,
    Generated,
    Item,
    ItemError,
    Template,
    UnknownField,
    find_template,
    item_matches,
)
from safehold.client.items.json_input import apply_item_json, item_title, item_type, parse_item_json
from safehold.client.items.trash import TRASH_DAYS, is_trashed
from safehold.client.reads import summary
from safehold.client.vault import TEMPLATE_TYPE, StoredItem, Vault, user_templates

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
from .plain import quoted, visible
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
    st.out.print(f"{verb} {quoted(stored.title)} ({stored.item_id}).", markup=False)
    for name, generated in made:
        shows = f"safehold get {_quote(stored.title)} --field {_quote(name)}"
        st.out.print(f"Generated {visible(name)} ({generated.entropy_bits:.0f} bits); "
                     f"`{visible(shows)}` shows it.", markup=False)  # fmt: skip


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
        # One pass over the vault for the trash, the templates and the items: on 10,000 items
        # each pass is noticeable.
        everything = unlocked.vault.all(include_templates=True, include_trashed=True)
        unlocked.vault.purge_expired_trash(_now(), among=everything)
    everything = [it for it in everything if not is_trashed(it.data)]
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
        st.out.print(f"Moved {quoted(stored.title)} to the trash; it is deleted for good after {TRASH_DAYS} "
                     f"days (`{visible(back)}` brings it back).", markup=False)  # fmt: skip


COMMANDS: dict[str, Callable[..., None]] = {
    "add": add, "edit": edit, "list": list_, "search": search, "rm": rm,
}  # fmt: skip


def register(app: typer.Typer) -> None:
    for name, func in COMMANDS.items():
        app.command(name)(handles_errors(func))
