"""``safehold backup`` and ``safehold restore``: encrypted backups (spec/backup.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from safehold.client.errors import ClientError, Tampered, UsageError
from safehold.crypto import AccountKey
from safehold.interop.backup import (
    BackupContents,
    BackupDamaged,
    BackupError,
    BackupUnknownVersion,
    BackupWontOpen,
    open_with_account,
    open_with_password,
    open_with_vault_key,
    read_info,
)
from safehold.interop.backups import backup_dir, default_name, list_backups, write_backup
from safehold.interop.restore import plan_restore

from .archive_cmds import OldStdinOpt, _old_password
from .options import FLAG, JsonOpt, StdinOpt
from .state import handles_errors, new_table, state

BackupPasswordStdin = Annotated[
    bool,
    typer.Option(
        "--backup-password-stdin",
        metavar=FLAG,
        help="Read the backup's own password from standard input (after the vault password "
        "when --password-stdin is given too).",
    ),
]


def _backup_password(st: Any, from_stdin: bool, *, twice: bool) -> str:
    if from_stdin:
        # One stdin for both secrets: the vault password (if any) was the first line.
        value = st._stdin_line() if st.password_stdin else sys.stdin.readline().rstrip("\n")
    else:
        value = st._prompt("Backup password: ")
        if twice and st._prompt("Repeat it: ") != value:
            raise UsageError("the two passwords differ")
    if not value:
        raise UsageError("the backup password cannot be empty")
    return str(value)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"could not read {path}: {exc.strerror or exc}") from None


def _translate(exc: BackupError) -> ClientError:
    if isinstance(exc, BackupWontOpen):
        return Tampered(
            str(exc),
            hint="a backup of another account, or made before a reset, opens with its own password "
            "(--backup-password-stdin, or type it when asked), or with the password and account key "
            "of its day (--kit FILE and --old-password-stdin)",
        )
    if isinstance(exc, BackupUnknownVersion):
        return UsageError(str(exc), hint="a newer Safehold made it")
    return UsageError(str(exc))


def backup(
    file: Annotated[Path | None, typer.Argument(metavar="[FILE]", help="Where to write it.")] = None,
    password: Annotated[
        bool,
        typer.Option(
            "--password", metavar=FLAG, help="Also seal it under a password of its own (asked twice)."
        ),
    ] = False,
    backup_password_stdin: BackupPasswordStdin = False,
    list_: Annotated[bool, typer.Option("--list", metavar=FLAG, help="List this profile's backups.")] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Write an encrypted backup of every item. It opens with your account password and
    account key at any later time, also after a password change; with --password also with a
    password of its own, so it outlives an account reset. Without FILE it goes to the
    profile's backups/ folder, where automatic backups are kept too (after every 5 changes,
    the last 10; SAFEHOLD_BACKUP_EVERY, SAFEHOLD_BACKUP_KEEP).

    Examples:
      safehold backup
      safehold backup ~/safe/vault.shbackup --password
      safehold backup --list
    """
    st = state()
    if list_:
        listed = list_backups(st.settings)
        if st.json:
            st.emit_json(
                [
                    {"file": str(b.path), **({"created": b.info.created, "items": b.info.items,
                                              "has_password": b.info.has_password} if b.info else {}),
                     "problem": b.problem}
                    for b in listed
                ]
            )  # fmt: skip
            return
        if not listed:
            st.out.print(f"No backups in {backup_dir(st.settings)} yet.", markup=False)
            return
        table = new_table("Created", "Items", "Own password", "File")
        for b in listed:
            if b.info is None:
                table.add_row("?", "?", "?", f"{b.path.name} ({b.problem})")
            else:
                table.add_row(
                    b.info.created, str(b.info.items), "yes" if b.info.has_password else "", b.path.name
                )
        st.out.print(table)
        return
    with st.vault() as unlocked:
        target = file or backup_dir(st.settings) / default_name(unlocked.account_id)
        if target.exists():
            raise UsageError(f"{target} exists", hint="choose another name")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        secret = (
            _backup_password(st, backup_password_stdin, twice=True)
            if password or backup_password_stdin
            else None
        )
        info = write_backup(unlocked, target, password=secret)
    if st.json:
        st.emit_json({"file": str(target), "created": info.created, "items": info.items,
                      "has_password": info.has_password})  # fmt: skip
    else:
        st.out.print(f"Backed up {info.items} items to {target}.", markup=False)


def _open(st: Any, data: bytes, vk: bytes, account_id: str, how: _Opening) -> BackupContents:
    info = read_info(data)
    if info.account_id == account_id:
        try:
            return open_with_vault_key(data, vk)
        except BackupWontOpen:
            if not info.has_password and how.account_key is None:
                raise
    if how.account_key is not None:
        # The password and account key of the backup's day open the keyset it carries
        # (spec/backup.md §4.3): for a backup of another account or from before a reset.
        try:
            return open_with_account(data, how.old_password(), how.account_key, st.settings.kdf_policy)
        except BackupWontOpen:
            raise BackupWontOpen(
                "the backup did not open with that password and account key (they must be the ones "
                "the account had when the backup was made)"
            ) from None
    if not info.has_password:
        raise BackupWontOpen("this backup is of another account or was made before an account reset, "
                             "and has no password of its own")  # fmt: skip
    return open_with_password(data, _backup_password(st, how.backup_password_stdin, twice=False),
                              st.settings.kdf_policy)  # fmt: skip


class _Opening:
    """How the person offered to open a backup besides the vault's own key."""

    def __init__(self, st: Any, account_key: AccountKey | None, old_stdin: bool, backup_stdin: bool) -> None:
        self.account_key = account_key
        self.backup_password_stdin = backup_stdin
        self._st, self._old_stdin = st, old_stdin

    def old_password(self) -> str:
        return _old_password(self._st, self._old_stdin)


def restore(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A backup made by `safehold backup`.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", metavar=FLAG, help="Say what would change; change nothing.")
    ] = False,
    backup_password_stdin: BackupPasswordStdin = False,
    account_key: Annotated[
        str | None,
        typer.Option(
            "--account-key",
            help="The account key of the backup's day (SH1-…; visible to other users: prefer --kit).",
        ),
    ] = None,
    kit: Annotated[
        Path | None, typer.Option("--kit", help="The Emergency Kit of the backup's day, to read its key.")
    ] = None,
    old_password_stdin: OldStdinOpt = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Merge a backup into this vault: items the vault lacks come back, items that differ
    are kept beside the current ones as copies marked "from backup" (nothing current is
    overwritten), equal ones are left. The restored items sync like any edit.

    A backup of this account opens with this vault's key, whatever the password is now. A
    backup of another account, or from before an account reset, opens with its own password
    (--backup-password-stdin, or typed when asked), or with the password and account key the
    account had when it was made: --kit FILE or --account-key, and the old password from
    SAFEHOLD_OLD_PASSWORD, --old-password-stdin or a prompt.

    Examples:
      safehold restore ~/safe/vault.shbackup --dry-run
      safehold restore old.shbackup --kit "Old Emergency Kit.pdf"
    """
    from .account_cmds import _read_key

    st = state()
    key, _payload = _read_key(account_key, kit)
    how = _Opening(st, key, old_password_stdin, backup_password_stdin)
    data = _read(file)
    try:
        read_info(data)
    except BackupError as exc:
        raise _translate(exc) from None
    with st.vault() as unlocked:
        try:
            contents = _open(st, data, unlocked.vk, unlocked.account_id, how)
        except (BackupWontOpen, BackupDamaged, BackupUnknownVersion) as exc:
            raise _translate(exc) from None
        vault = unlocked.vault
        current = {s.item_id: s.data for s in vault.all(include_templates=True, include_trashed=True)}
        plan = plan_restore(current, contents.items, created=contents.info.created)
        if not dry_run:
            with unlocked.store.transaction():
                for item_id, item in plan.restore:
                    vault.put(item, item_id)
                for _, copy in plan.copies:
                    vault.put(copy)
    summary = {
        "file": str(file),
        "created": contents.info.created,
        "opened_with": contents.opened_with,
        "restored": [i for i, _ in plan.restore],
        "copies": [i for i, _ in plan.copies],
        "unchanged": plan.unchanged,
        "dry_run": dry_run,
    }
    if st.json:
        st.emit_json(summary)
        return
    verb = "Would restore" if dry_run else "Restored"
    st.out.print(
        f"{verb} {len(plan.restore)} items; {len(plan.copies)} that differ from the vault "
        f"{'would be' if dry_run else 'were'} kept as copies marked 'from backup'; "
        f"{plan.unchanged} already as in the backup.",
        markup=False,
    )
    if not dry_run and (plan.restore or plan.copies):
        st.out.print("They reach your other devices at the next sync.", markup=False)


def register(app: typer.Typer) -> None:
    app.command("backup")(handles_errors(backup))
    app.command("restore")(handles_errors(restore))
