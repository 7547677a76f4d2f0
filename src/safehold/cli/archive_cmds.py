"""``safehold archive list|restore|delete``: vaults set aside on a reset claim.

A device never deletes its vault because a server (or anyone in between) says the account
was reset: it archives it (see :mod:`safehold.client.archive`). These commands show the
archives, merge one into the current vault with the old password, and delete one.
Archives older than ``SAFEHOLD_ARCHIVE_DAYS`` (default 30) are removed by the client when
one of these commands or ``status`` runs; ``status`` warns from 7 days before.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from safehold.client.account import AccountService
from safehold.client.archive import WARN_DAYS, Manifest
from safehold.client.archive_restore import open_archive, restore_into
from safehold.client.errors import UsageError
from safehold.crypto import AccountKey

from .options import FLAG, JsonOpt, StdinOpt
from .plain import plain
from .state import State, handles_errors, new_table, state

OldStdinOpt = Annotated[
    bool,
    typer.Option(
        "--old-password-stdin",
        metavar=FLAG,
        help="Read the archive's old password from standard input (after the current one, "
        "when --password-stdin is given too).",
    ),
]


def _when(text: str | None) -> str:
    if not text:
        return "-"
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _describe(manifest: Manifest, days: int) -> dict[str, Any]:
    return {**manifest.to_json(), "expires": manifest.expires_at(days).isoformat()}


def purge_and_warn(st: State, service: AccountService) -> None:
    """Remove expired archives, saying so, and warn about the ones removed soon.

    Called by ``status`` and the ``archive`` commands: archives go only when the person
    could have been told, never silently in the middle of another command."""
    days = st.settings.archive_days
    for gone in service.archives.purge_expired(days):
        st.err.print(
            f"[yellow]note:[/] archive {gone.id} ({gone.email}, made {_when(gone.created)}) was older "
            f"than {days} days and was removed"
        )
    for soon in service.archives.expiring(days):
        restored = " (restored)" if soon.restored_at else ""
        st.err.print(
            f"[yellow]warning:[/] archive {soon.id}{restored} of {soon.email} ({soon.items} items, "
            f"{soon.unsynced} unsynced) will be removed after {_when(soon.expires_at(days).isoformat())}; "
            f"`safehold archive restore {soon.id}` keeps its items"
        )


def list_archives(json_out: JsonOpt = False) -> None:
    """Show the vaults this device set aside on a reset claim, newest first.

    Example:  safehold archive list
    """
    st = state()
    service = st.service()
    purge_and_warn(st, service)
    days = st.settings.archive_days
    archives = service.archives.all()
    if st.json:
        st.emit_json({"archives": [_describe(m, days) for m in archives], "keep_days": days})
        return
    if not archives:
        st.out.print("No archives.")
        return
    table = new_table("Id", "Account", "Made", "Items", "Unsynced", "Removed after", "Restored", "Why")
    for m in archives:
        table.add_row(
            m.id, m.email, _when(m.created), str(m.items), str(m.unsynced),
            _when(m.expires_at(days).isoformat()), _when(m.restored_at), m.reason,
        )  # fmt: skip
    st.out.print(table)
    st.out.print(
        f"Archives are kept {days} days. `safehold archive restore ID` merges one into this vault "
        "(it asks for the password the account had then)."
    )


def _archive_key(
    service: AccountService, manifest: Manifest, account_key: str | None, kit: Path | None
) -> AccountKey:
    from .account_cmds import _read_key

    key, _payload = _read_key(account_key, kit)
    if key is not None:
        return key
    kept = service.archives.account_key(manifest)
    if kept is None:
        raise UsageError(
            f"archive {manifest.id} holds no account key",
            hint="give the account key the account had before the reset: --account-key KEY or --kit FILE",
        )
    return kept


def _old_password(st: State, old_password_stdin: bool) -> str:
    if old_password_stdin:
        return st._stdin_line()
    if st.settings.old_password is not None:
        return st.settings.old_password
    return st._prompt("Password of the account when the archive was made: ")


def restore(
    archive_id: Annotated[
        str | None,
        typer.Argument(metavar="[ID]", help="Archive id or prefix (default: the newest of this account)."),
    ] = None,
    account_key: Annotated[
        str | None, typer.Option("--account-key", help="The old account key, if the archive holds none.")
    ] = None,
    kit: Annotated[
        Path | None, typer.Option(help="The old Emergency Kit, if the archive holds no key.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", metavar=FLAG, help="Say what would change.")] = False,
    old_password_stdin: OldStdinOpt = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Merge an archive's items, unsynced edits included, into the current vault.

    The archive opens with the password the account had when it was made (env
    SAFEHOLD_OLD_PASSWORD, or --old-password-stdin); the current vault unlocks as for any
    command. Items are re-sealed under the current keys and uploaded by the next sync. An
    item in both is merged field by field; where both changed, both versions are kept.

    Examples:
      safehold archive restore
      safehold archive restore 20261204T171500Z-a1b2c3 --dry-run
    """
    st = state()
    service = st.service()
    purge_and_warn(st, service)
    with st.vault() as unlocked:
        manifest = service.archives.get(archive_id, None if archive_id else unlocked.account_id)
        key = _archive_key(service, manifest, account_key, kit)
        source = open_archive(service, manifest, _old_password(st, old_password_stdin), key)
        try:
            report = restore_into(unlocked, source, manifest, dry_run=dry_run)
        finally:
            source.close()
        if not dry_run:
            service.archives.mark_restored(manifest, unlocked.store.generation)
    if st.json:
        st.emit_json(report.to_json())
        return
    verb = "Would restore" if dry_run else "Restored"
    st.out.print(
        f"{verb} archive {manifest.id}: {len(report.added)} items added, {len(report.merged)} merged, "
        f"{report.unchanged} already here; {len(report.unsynced)} of them were edits never synced."
    )
    if report.conflicts:
        st.out.print(
            f"[yellow]{len(report.conflicts)} conflict copies[/] kept (both versions are in the vault): "
            + "; ".join(report.conflicts),
            markup=True,
        )
    if report.deletions_skipped:
        st.out.print(f"{report.deletions_skipped} deletions not yet synced in the archive were not applied.")
    if not dry_run:
        st.out.print("Run `safehold sync` to upload them. The archive is kept until you delete it.")


def delete(
    archive_id: Annotated[str, typer.Argument(metavar="ID", help="Archive id or unambiguous prefix.")],
    json_out: JsonOpt = False,
) -> None:
    """Delete an archive for good (its items, unsynced edits and old account key).

    Example:  safehold archive delete 20261204T171500Z-a1b2c3
    """
    st = state()
    service = st.service()
    manifest = service.archives.get(archive_id)
    service.archives.delete(manifest)
    if st.json:
        st.emit_json({"deleted": manifest.id})
    else:
        st.out.print(f"Archive {manifest.id} deleted ({manifest.items} items of {plain(manifest.email)}).")


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Vaults this device set aside when told the account was reset (nothing is deleted on a claim).",
        no_args_is_help=True,
    )
    group.command("list")(handles_errors(list_archives))
    group.command("restore")(handles_errors(restore))
    group.command("delete")(handles_errors(delete))
    app.add_typer(group, name="archive")


__all__ = ["WARN_DAYS", "purge_and_warn", "register"]
