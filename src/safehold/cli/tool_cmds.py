"""Commands that look at passwords rather than store them: generate, report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from safehold.client.errors import UsageError
from safehold.client.items import Item, generate_passphrase, generate_password, security_report

from .item_cmds import custom_templates
from .options import FLAG, JsonOpt, StdinOpt
from .state import handles_errors, new_table, state


def _now() -> datetime:
    return datetime.now(UTC)


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
        pairs = [(s.item_id, Item.from_json(s.data, custom_templates=templates)) for s in vault.all()]
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


COMMANDS: dict[str, Callable[..., None]] = {"generate": generate, "report": report}


def register(app: typer.Typer) -> None:
    for name, func in COMMANDS.items():
        app.command(name)(handles_errors(func))
