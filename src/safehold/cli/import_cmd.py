"""``safehold import``: bring items in from the managers people leave."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from safehold.client.errors import UsageError
from safehold.interop.importers import (
    FORMATS,
    CorruptFile,
    ImportFailure,
    UnknownFormat,
    WrongFilePassword,
    read_file,
)
from safehold.interop.importing import apply_import

from .options import FLAG, JsonOpt, StdinOpt
from .progress import ItemProgress
from .state import handles_errors, state


def import_(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An export of another password manager.")],
    from_: Annotated[
        str | None,
        typer.Option("--from", help=f"The format, when detection is not enough: {', '.join(FORMATS)}."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", metavar=FLAG, help="Say what would happen; write nothing.")
    ] = False,
    tag: Annotated[str | None, typer.Option("--tag", help="Add this tag to every imported item.")] = None,
    file_password_stdin: Annotated[
        bool,
        typer.Option(
            "--file-password-stdin",
            metavar=FLAG,
            help="Read the file's own password (kdbx, password-protected Bitwarden) from standard input "
            "(after the vault password when --password-stdin is given too).",
        ),
    ] = False,
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="kdbx: the database's key file.")
    ] = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Import items from FILE. The format is detected from the content (or given with
    --from). Importing the same file again updates the items it made instead of adding
    copies. A value with no place in Safehold's item types becomes a custom field, and the
    summary says so; a row that cannot be read is skipped with its reason.

    Examples:
      safehold import bitwarden_export.json
      safehold import passwords.csv --from chrome-csv --tag imported
      safehold import vault.kdbx --dry-run
    """
    st = state()

    def file_password() -> str:
        if file_password_stdin:
            value = st._stdin_line() if st.password_stdin else sys.stdin.readline().rstrip("\n")
        else:
            value = st._prompt("The file's password: ")
        return str(value)

    with st.vault() as unlocked:
        try:
            read = read_file(file, from_, file_password=file_password, key_file=key_file)
        except WrongFilePassword as exc:
            raise UsageError(str(exc), hint="type the password the file was exported with") from None
        except UnknownFormat as exc:
            raise UsageError(str(exc)) from None
        except CorruptFile as exc:
            raise UsageError(f"{file}: {exc}") from None
        except ImportFailure as exc:
            raise UsageError(str(exc)) from None
        with ItemProgress(st.err, "importing", enabled=not st.json) as progress:
            summary = apply_import(unlocked.vault, read, tag=tag, dry_run=dry_run, progress=progress)
    if st.json:
        st.emit_json({**summary.to_json(), "dry_run": dry_run})
        return
    verb = "Would import" if dry_run else "Imported"
    st.out.print(
        f"{verb} {len(summary.imported)} new items from {file} ({summary.format}); "
        f"{len(summary.updated)} updated, {len(summary.unchanged)} unchanged, "
        f"{len(summary.skipped)} skipped.",
        markup=False,
    )
    for title, names in summary.moved_to_custom[:20]:
        st.out.print(f"  {title}: kept as custom fields: {', '.join(names)}", markup=False)
    if len(summary.moved_to_custom) > 20:
        st.out.print(
            f"  … and {len(summary.moved_to_custom) - 20} more items with custom fields", markup=False
        )
    for skipped in summary.skipped:
        st.err.print(f"  skipped {skipped.source}: {skipped.reason}", markup=False)
    if not dry_run and (summary.imported or summary.updated):
        st.out.print("They reach your other devices at the next sync.", markup=False)


def register(app: typer.Typer) -> None:
    app.command("import")(handles_errors(import_))
