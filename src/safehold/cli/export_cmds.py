"""``safehold export``: the vault's items written to a file in another program's format."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from safehold.client.errors import UsageError
from safehold.interop.export import FORMATS, ExportError, ExportItem, export_items

from .options import FLAG, JsonOpt, StdinOpt
from .progress import ItemProgress
from .state import handles_errors, state

FormatOpt = Annotated[
    str,
    typer.Option("--format", "-F", help=f"One of: {', '.join(FORMATS)}.", show_default=False),
]


def _confirm_unencrypted(path: Path, yes: bool) -> None:
    st = state()
    st.err.print(
        f"warning: {path} will hold every password in this vault UNENCRYPTED. Anyone who can "
        "read the file (backups, sync services, other users) can read them. Delete it when done.",
        markup=False,
    )
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("not writing an unencrypted export without a confirmation", hint="add --yes")
    if not typer.confirm("Write it?", default=False, err=True):
        raise typer.Exit(1)


def export(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write the export.")],
    fmt: FormatOpt,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", metavar=FLAG, help="Write an unencrypted file without asking.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", metavar=FLAG, help="Replace FILE if it exists.")] = False,
    file_password_stdin: Annotated[
        bool,
        typer.Option(
            "--file-password-stdin",
            metavar=FLAG,
            help="kdbx: read the new database's password from standard input (after the vault "
            "password when --password-stdin is given too).",
        ),
    ] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Export every item to FILE (mode 0600): safehold-json (lossless), bitwarden-json,
    csv (columns in docs/cli.md) or kdbx (a KeePass database with a password of its own).

    Examples:
      safehold export vault.json --format safehold-json
      safehold export keepass.kdbx --format kdbx
      printf '%s\\n' "$KDBX_PASSWORD" | safehold export keepass.kdbx -F kdbx --file-password-stdin
    """
    st = state()
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"the formats are: {', '.join(FORMATS)}")
    if file.exists() and not force:
        raise UsageError(f"{file} exists", hint="choose another name, or add --force to replace it")
    if file.parent and not file.parent.exists():
        raise UsageError(f"the folder {file.parent} does not exist")
    encrypted = FORMATS[fmt]
    if not encrypted:
        _confirm_unencrypted(file, yes)
    with st.vault() as unlocked:
        items = [ExportItem(s.item_id, s.data) for s in unlocked.vault.all(include_templates=True)]
    file_password: str | None = None
    if fmt == "kdbx":
        if file_password_stdin:
            # One stdin for both secrets: the vault password (if any) was the first line.
            file_password = st._stdin_line() if st.password_stdin else sys.stdin.readline().rstrip("\n")
        else:
            file_password = st._prompt("Password for the KeePass database: ")
            if st._prompt("Repeat it: ") != file_password:
                raise UsageError("the two passwords differ")
        if not file_password:
            raise UsageError("the KeePass database needs a password")
    try:
        with ItemProgress(st.err, "exporting", enabled=not st.json) as progress:
            count = export_items(items, file, fmt, file_password=file_password, progress=progress)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"could not write {file}: {exc.strerror or exc}") from None
    if st.json:
        st.emit_json({"file": str(file), "format": fmt, "items": count, "encrypted": encrypted})
    else:
        st.out.print(f"Exported {count} items to {file} ({fmt}).", markup=False)


def register(app: typer.Typer) -> None:
    app.command("export")(handles_errors(export))
