"""``safehold archive list|restore|delete``: vaults set aside on a reset claim.

A device never deletes its vault because a server (or anyone in between) says the account
was reset: it archives it (see :mod:`safehold.client.archive`). These commands show the
archives, merge one into the current vault with the old password, and delete one.
Archives older than ``SAFEHOLD_ARCHIVE_DAYS`` (default 30) are removed by the client when
one of these commands or ``status`` runs; ``status`` warns from 7 days before.

The server keeps an archive of its own on a reset (issue 14 §2,
:mod:`safehold.client.server_archive`), named ``srv-<id>``: ``list`` shows them when the
vault's keys are at hand (the agent, or a password given to the command), and ``restore``
and ``delete`` take them like local ones. Their purge is the server's
(``SAFEHOLD_RESET_ARCHIVE_DAYS``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from safehold.client.account import AccountService, Unlocked
from safehold.client.archive import WARN_DAYS, Manifest
from safehold.client.archive_restore import RestoreReport, open_archive, restore_into
from safehold.client.errors import ArchiveNotFound, ClientError, UsageError
from safehold.client.server_archive import (
    ServerArchiveRef,
    delete_server_archive,
    find_server_archive,
    is_server_id,
    kept_old_key,
    list_server_archives,
    open_server_archive,
)
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


def _keys_at_hand(st: State, service: AccountService) -> Unlocked | None:
    """The current vault, unlocked without asking: by the agent, or by a password given to
    the command. ``None`` when neither (listing never prompts)."""
    account_id = service.profile.current
    if account_id is None or not service.profile.vault_path(account_id).exists():
        return None
    if st.scripted_password:
        return service.unlock(st.password())
    kept = st.agent.get(account_id)
    if kept is None:
        return None
    return service.resume(account_id, kept[0], kept[1])


def _server_archives(st: State, service: AccountService) -> tuple[list[ServerArchiveRef], str | None]:
    """The server's archives of the current account, and a note when they could not be asked."""
    current = service.profile.current
    if current is None or not service.profile.vault_path(current).exists():
        return [], None  # no account signed in here: no server to ask
    try:
        unlocked = _keys_at_hand(st, service)
    except ClientError as exc:
        return [], f"the server's archives are not shown: {exc.message}"
    if unlocked is None:
        return [], "unlock (`safehold unlock`) to see the archives the server keeps"
    try:
        return list_server_archives(unlocked), None
    except ClientError as exc:
        return [], f"the server's archives are not shown: {exc.message}"
    finally:
        unlocked.close()


def _describe_server(ref: ServerArchiveRef, email: str) -> dict[str, Any]:
    a = ref.archive
    return {
        "id": ref.id, "where": "server", "email": email, "generation": a.generation,
        "created": a.created_at.isoformat(), "expires": a.expires_at.isoformat(), "items": a.item_count,
    }  # fmt: skip


def list_archives(json_out: JsonOpt = False, password_stdin: StdinOpt = False) -> None:
    """Show the vaults this device set aside on a reset claim, newest first, and the old
    generations the server keeps after a reset (when the vault is unlocked).

    Example:  safehold archive list
    """
    st = state()
    service = st.service()
    purge_and_warn(st, service)
    days = st.settings.archive_days
    archives = service.archives.all()
    on_server, note = _server_archives(st, service)
    email = ""
    if on_server:
        store = service.open_store()
        try:
            email = store.email
        finally:
            store.close()
    if st.json:
        st.emit_json({"archives": [_describe(m, days) for m in archives], "keep_days": days,
                      "server_archives": [_describe_server(r, email) for r in on_server],
                      "server_note": note})  # fmt: skip
        return
    if note:
        st.err.print(f"note: {note}", markup=False)
    if not archives and not on_server:
        st.out.print("No archives.")
        return
    table = new_table("Id", "Account", "Made", "Items", "Unsynced", "Removed after", "Restored", "Why")
    for m in archives:
        table.add_row(
            m.id, m.email, _when(m.created), str(m.items), str(m.unsynced),
            _when(m.expires_at(days).isoformat()), _when(m.restored_at), m.reason,
        )  # fmt: skip
    for ref in on_server:
        a = ref.archive
        # A prefix is enough to name it (restore and delete take prefixes); the table stays narrow.
        table.add_row(
            ref.id[:16], email, _when(a.created_at.isoformat()), str(a.item_count), "-",
            _when(a.expires_at.isoformat()), "-", f"kept by the server (generation {a.generation})",
        )  # fmt: skip
    st.out.print(table)
    st.out.print(
        f"Archives on this device are kept {days} days; the server's (srv-…) until the date shown. "
        "`safehold archive restore ID` merges one into this vault (it asks for the password the "
        "account had then)."
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
        if is_server_id(archive_id):
            report = _restore_from_server(st, service, unlocked, archive_id, account_key, kit,
                                          old_password_stdin, dry_run)  # fmt: skip
        else:
            try:
                manifest = service.archives.get(archive_id, None if archive_id else unlocked.account_id)
            except ArchiveNotFound:
                if archive_id is not None:
                    raise
                # None on this device: the newest the server keeps, if it keeps one.
                report = _restore_from_server(st, service, unlocked, None, account_key, kit,
                                              old_password_stdin, dry_run)  # fmt: skip
            else:
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
        f"{verb} archive {report.archive}: {len(report.added)} items added, {len(report.merged)} merged, "
        f"{report.unchanged} already here; {len(report.unsynced)} of them were edits never synced."
    )
    if report.tampered:
        st.err.print(
            f"[yellow]warning:[/] {len(report.tampered)} archived item(s) did not open with the old keys "
            f"(altered by the storage) and were left out: {', '.join(report.tampered)}"
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


def _restore_from_server(
    st: State, service: AccountService, unlocked: Unlocked, archive_id: str | None,
    account_key: str | None, kit: Path | None, old_password_stdin: bool, dry_run: bool,
) -> RestoreReport:  # fmt: skip
    if archive_id is None:
        refs = list_server_archives(unlocked)
        if not refs:
            raise ArchiveNotFound("neither this device nor the server keeps an archive of this account")
        ref = refs[0]
    else:
        ref = find_server_archive(unlocked, archive_id)
    from .account_cmds import _read_key

    key, _payload = _read_key(account_key, kit)
    if key is None:
        key = kept_old_key(service, unlocked.account_id, ref.archive.generation)
    if key is None:
        raise UsageError(
            f"no account key of generation {ref.archive.generation} is on this device for {ref.id}",
            hint="give the account key the account had before the reset: --account-key KEY or --kit FILE",
        )
    source = open_server_archive(service, unlocked, ref, _old_password(st, old_password_stdin), key)
    return restore_into(unlocked, source, ref, dry_run=dry_run)


def delete(
    archive_id: Annotated[str, typer.Argument(metavar="ID", help="Archive id or unambiguous prefix.")],
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Delete an archive for good (its items, unsynced edits and old account key); a server
    archive (srv-…) is deleted on the server.

    Example:  safehold archive delete 20261204T171500Z-a1b2c3
    """
    st = state()
    service = st.service()
    if is_server_id(archive_id):
        with st.vault() as unlocked:
            ref = find_server_archive(unlocked, archive_id)
            delete_server_archive(unlocked, ref)
        if st.json:
            st.emit_json({"deleted": ref.id})
        else:
            st.out.print(f"Archive {ref.id} deleted from the server ({ref.archive.item_count} items).")
        return
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
