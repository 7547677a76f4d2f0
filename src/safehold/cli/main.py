"""The ``safehold`` command: a password manager that encrypts everything on this device.

Global options come before the command; ``--json`` and ``--password-stdin`` are accepted
after it as well. Exit codes are listed in docs/cli.md and :class:`ExitCode`.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
from pathlib import Path
from typing import Annotated

import typer

from safehold.client.errors import ClientError, ExitCode
from safehold.client.settings import ClientSettings

from . import (
    account_cmds,
    archive_cmds,
    backup_cmds,
    device_cmds,
    export_cmds,
    import_cmd,
    item_cmds,
    key_cmds,
    read_cmds,
    recovery_cmds,
    run_cmds,
    session_cmds,
    tool_cmds,
    trash_cmds,
    type_cmds,
)
from .options import FLAG, plain_flags
from .state import State, report_error, set_state

EPILOG = (
    "Environment: SAFEHOLD_SERVER, SAFEHOLD_HOME, SAFEHOLD_PASSWORD (scripts), SAFEHOLD_NEW_PASSWORD, "
    "SAFEHOLD_IDLE_TIMEOUT, SAFEHOLD_DEVICE_NAME, SAFEHOLD_KEYSTORE. "
    "Exit codes: 0 ok, 1 error, 2 usage, 3 email or password incorrect, 4 account key typo, "
    "5 item not found or ambiguous, 6 server unreachable, 7 sync kept conflict copies, "
    "8 signed out, 9 account was reset, 10 locked, 11 tampered data, 12 rate limited, "
    "13 server asked for unacceptable KDF cost, 14 item too large for the server, 25 no such archive, "
    "30 plain http:// to another machine refused (--insecure-http), 31 session expired (unlock again), "
    "32 sign-up by invitation only, 33 email address not confirmed yet, "
    "45 logout would drop unsynced edits, 46 run could not start the command."
)

app = typer.Typer(
    name="safehold",
    help=(
        "Safehold keeps your passwords encrypted on this device and in step with your other "
        "devices. Start with `safehold signup EMAIL` (new account) or `safehold login EMAIL` "
        "(another device; it asks for the account key), then `safehold add login --title GitHub "
        "--field username=ann --field password=?`, `safehold list`, `safehold get GitHub`."
    ),
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    ctx: typer.Context,
    server: Annotated[str | None, typer.Option(help="Server URL (env SAFEHOLD_SERVER).")] = None,
    home: Annotated[Path | None, typer.Option(help="Profile directory (env SAFEHOLD_HOME).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", metavar=FLAG, help="Read the password from standard input.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", metavar=FLAG, help="Print JSON for scripts.")] = False,
    insecure_http: Annotated[
        bool,
        typer.Option("--insecure-http", metavar=FLAG,
                     help="Allow plain http:// to a server on another machine (unencrypted: avoid)."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", metavar=FLAG, is_eager=True, callback=session_cmds.show_version,
                     help="Print the version and exit."),
    ] = False,
) -> None:
    try:
        settings = ClientSettings.load(server=server, home=home)
    except ClientError as exc:
        st = State(ClientSettings(home=Path(".")), json=json_out)
        report_error(st, exc)
        raise typer.Exit(int(exc.exit_code)) from None
    if insecure_http:
        settings = dataclasses.replace(settings, insecure_http=True)
    ctx.obj = State(settings, json=json_out, password_stdin=password_stdin)
    set_state(ctx.obj)


account_cmds.register(app)
device_cmds.register(app)
item_cmds.register(app)
export_cmds.register(app)
backup_cmds.register(app)
import_cmd.register(app)
archive_cmds.register(app)
key_cmds.register(app)
recovery_cmds.register(app)
read_cmds.register(app)
tool_cmds.register(app)
type_cmds.register(app)
session_cmds.register(app)
trash_cmds.register(app)
run_cmds.register(app)


def _debug() -> bool:
    """SAFEHOLD_DEBUG, from the settings when they were loaded, else read as they read it."""
    from safehold.client.paths import debug_enabled

    from .state import current_state

    st = current_state()
    return st.settings.debug if st is not None else debug_enabled()


def run() -> None:
    """Console entry point: usage errors exit 2; nothing unexpected shows a traceback
    unless SAFEHOLD_DEBUG is set."""
    # A command lives for a moment: the objects made by importing stay until exit, so the
    # collector need not walk them again each time it runs while a large vault is opened.
    gc.freeze()
    try:
        command = typer.main.get_command(app)
        plain_flags(command)
        # Without standalone mode click returns a command's exit code instead of exiting.
        code = command.main(prog_name="safehold", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(int(ExitCode.ERROR))
    except typer.TyperException as exc:
        # Typer ≥ 0.29 carries its own click: its usage errors are TyperExceptions.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"error: {exc}\n")
        sys.exit(int(ExitCode.USAGE))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if _debug():
            raise
        sys.stderr.write(f"error: unexpected {exc.__class__.__name__}: {exc}\n")
        sys.stderr.write("set SAFEHOLD_DEBUG=1 to see the details\n")
        sys.exit(int(ExitCode.ERROR))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
