"""Options shared by many commands, spelled once."""

from __future__ import annotations

from typing import Annotated

import typer

#: Typer 0.29 shows every option's type in help, ``<bool>`` for flags too; an empty metavar
#: shows a flag as a plain flag. (Typer's own ``--help`` row keeps its ``<bool>``.)
FLAG = ""

JsonOpt = Annotated[
    bool, typer.Option("--json", metavar=FLAG, help="Print JSON (for scripts) instead of tables.")
]
StdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        metavar=FLAG,
        help="Read the password from standard input; the agent is not used.",
    ),
]
ServerOpt = Annotated[
    str | None,
    typer.Option("--server", help="Server URL (env SAFEHOLD_SERVER).", show_default=False),
]
EmailArg = Annotated[str, typer.Argument(metavar="EMAIL", help="The account's email address.")]
ItemArg = Annotated[str, typer.Argument(metavar="ITEM", help="Id, exact title or unambiguous prefix.")]
