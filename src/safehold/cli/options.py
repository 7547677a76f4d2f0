"""Options shared by many commands, spelled once."""

from __future__ import annotations

from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of tables.")]
StdinOpt = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input; the agent is not used."),
]
ServerOpt = Annotated[
    str | None,
    typer.Option("--server", help="Server URL (env SAFEHOLD_SERVER).", show_default=False),
]
