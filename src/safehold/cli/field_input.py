"""Giving an item a secret without putting it on the command line.

``--field NAME=VALUE`` puts VALUE in shell history and in every local user's view of
``ps`` and ``/proc``; these do not:

* ``--field NAME=?`` or ``--prompt NAME``: typed at a hidden prompt, twice;
* ``--field-stdin NAME``: read from standard input (after the password's line under
  ``--password-stdin``), without its final newline;
* ``--generate NAME``: made by the password generator (``--length``, ``--words``,
  ``--no-symbols`` … as `safehold generate` takes them), never printed.
"""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass
from typing import Annotated

import typer

from safehold.client.errors import UsageError
from safehold.client.items import Generated, generate_passphrase, generate_password

from .options import FLAG
from .state import State

#: ``--field NAME=?`` asks for the value at a hidden prompt.
ASK = "?"
#: Tries a person gets to type the same secret twice.
PROMPT_TRIES = 3

PromptOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--prompt", metavar="FIELD", help="Ask for FIELD's value at a hidden prompt (twice); repeatable."
    ),
]
FieldStdinOpt = Annotated[
    str | None,
    typer.Option("--field-stdin", metavar="FIELD", help="Read FIELD's value from standard input."),
]
GenerateOpt = Annotated[
    list[str] | None,
    typer.Option("--generate", "-g", metavar="FIELD",
                 help="Fill FIELD with a generated password (see --length, --words); repeatable."),
]  # fmt: skip
LengthOpt = Annotated[int | None, typer.Option("--length", help="--generate: characters (default 20).")]
WordsOpt = Annotated[int | None, typer.Option("--words", help="--generate: a passphrase of this many words.")]
NoSymbolsOpt = Annotated[
    bool, typer.Option("--no-symbols", metavar=FLAG, help="--generate: letters and digits only.")
]
NoLookalikesOpt = Annotated[
    bool, typer.Option("--no-lookalikes", metavar=FLAG, help="--generate: avoid 0/O, 1/l/I …")
]


@dataclass(frozen=True)
class GeneratorChoice:
    length: int | None = None
    words: int | None = None
    no_symbols: bool = False
    no_lookalikes: bool = False

    @property
    def given(self) -> bool:
        return self.length is not None or self.words is not None or self.no_symbols or self.no_lookalikes

    def make(self) -> Generated:
        if self.length is not None and self.words is not None:
            raise UsageError("give --length or --words, not both")
        if self.words is not None:
            if self.no_symbols or self.no_lookalikes:
                raise UsageError("--no-symbols and --no-lookalikes shape a --length password, not --words")
            return generate_passphrase(words=self.words)
        return generate_password(
            length=20 if self.length is None else self.length,
            symbols=not self.no_symbols,
            exclude_lookalikes=self.no_lookalikes,
        )


@dataclass
class SecretInput:
    """What the secret options asked for; :meth:`values` gathers them (prompting last, so a
    usage error never comes after a person typed a secret)."""

    prompts: list[str]
    stdin_field: str | None
    generate: list[str]
    generator: GeneratorChoice

    @property
    def empty(self) -> bool:
        return not (self.prompts or self.stdin_field or self.generate)

    def check(self) -> None:
        if self.generator.given and not self.generate:
            raise UsageError("--length, --words, --no-symbols and --no-lookalikes shape --generate FIELD")
        names = [*self.prompts, *self.generate, *([self.stdin_field] if self.stdin_field else [])]
        seen: set[str] = set()
        for name in names:
            if not name.strip():
                raise UsageError("--prompt, --field-stdin and --generate take a field name")
            if name.casefold() in seen:
                raise UsageError(f"the field {name!r} is given more than once")
            seen.add(name.casefold())

    def values(self, st: State) -> tuple[list[tuple[str, str]], list[tuple[str, Generated]]]:
        """``(fields, generated)``: every (name, value) to set, and which were generated."""
        out: list[tuple[str, str]] = []
        made: list[tuple[str, Generated]] = []
        if self.stdin_field:
            out.append((self.stdin_field, st.stdin_rest()))
        for name in self.generate:
            generated = self.generator.make()
            made.append((name, generated))
            out.append((name, generated.value))
        for name in self.prompts:
            out.append((name, ask_secret(name)))
        return out, made


def split_asked(pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """``--field`` pairs without those whose value is ``?``, and the names of those."""
    given = [(n, v) for n, v in pairs if v != ASK]
    asked = [n for n, v in pairs if v == ASK]
    return given, asked


def ask_secret(name: str, *, twice: bool = True) -> str:
    """A value for ``name`` typed at a hidden prompt; asked twice, up to :data:`PROMPT_TRIES`
    times while the two differ. Needs a terminal."""
    if not sys.stdin.isatty():
        raise UsageError(
            f"cannot ask for {name!r}: standard input is not a terminal",
            hint=f"use --field-stdin {name!r} to read it from standard input, or --generate {name!r}",
        )
    for attempt in range(1, PROMPT_TRIES + 1):
        value = getpass.getpass(f"{name}: ")
        if not value:
            sys.stderr.write("the value is empty; type it again\n")
            continue
        if not twice or getpass.getpass(f"{name} again: ") == value:
            return value
        if attempt < PROMPT_TRIES:
            sys.stderr.write("the two entries differ; type it again\n")
    raise UsageError(
        f"{name!r} was not entered the same way twice in {PROMPT_TRIES} tries; nothing was saved"
    )
