"""Options shared by many commands, spelled once."""

from __future__ import annotations

from typing import Annotated, Any

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


def reflow(text: str) -> str:
    """A docstring as help shows it well: the lines of a prose paragraph joined (the help
    keeps line breaks, so a docstring's breaks would fall mid-line at any other width),
    indented lines such as examples kept as they are, each on its own line."""
    import inspect

    out: list[str] = []
    for line in inspect.cleandoc(text).splitlines():
        prose = bool(line) and not line[0].isspace()
        if prose and out and out[-1] and not out[-1][0].isspace() and not out[-1].endswith(":"):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def plain_flags(command: Any) -> None:
    """Show every flag of ``command`` and its subcommands as a plain flag in help, ``-h`` too.

    Typer prints a type beside every option, ``<bool>`` for flags; an empty metavar drops it.
    The help option is made afresh on each call of ``get_help_option``, so that is wrapped."""
    make_help = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make_help(ctx)
        if option is not None:
            option.metavar = FLAG
        return option

    command.get_help_option = get_help_option
    if command.help:
        command.help = reflow(command.help)
    for param in command.params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = FLAG
    for sub in getattr(command, "commands", {}).values():
        plain_flags(sub)
