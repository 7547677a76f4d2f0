"""The folder-vault forms of `signup`, `login` and `reset` (`--folder PATH`): a vault kept
in a folder that a sync service shares, with no server (spec/folder.md).

``account_cmds`` keeps the commands and hands ``--folder`` here; the library
(client/folder_account.py) decides, this module asks and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safehold.client.errors import NotAFolderVault, UsageError, WrongAccountKey
from safehold.client.keystore import key_location
from safehold.crypto import AccountKey, KitPayload

from .state import State

if TYPE_CHECKING:
    from safehold.client.account import Unlocked
    from safehold.client.folder.header import FolderHeader

FolderOpt = Annotated[
    Path | None,
    typer.Option(
        "--folder",
        help="A folder (Dropbox, iCloud Drive, Syncthing…) that keeps the vault instead of a server.",
        show_default=False,
    ),
]


def folder_kit(folder: Path, email: str, key: AccountKey) -> KitPayload:
    return KitPayload(server="", email=email, account_key=key, folder=str(folder))


def _show_key(st: State, payload: KitPayload, kit: Path | None, headline: str) -> dict[str, object]:
    """Write the Emergency Kit and print the key (both, whatever fails: the key exists only
    here). Returns the JSON fields it adds."""
    from . import shown
    from .account_cmds import _write_kit

    service = st.service()
    kit_path = kit or service.profile.default_kit_path(payload.email)
    kit_error = None
    try:
        _write_kit(kit_path, payload)
    except Exception as exc:  # the vault exists now; say what failed, keep going
        kit_error = str(exc)
    if st.json:
        return {"account_key": payload.account_key.to_text(), "kit": None if kit_error else str(kit_path)}
    st.out.print(headline + "\n")
    st.out.print("Your account key (you need it, with your password, on every new device):\n")
    shown.new_key(st, payload.account_key.to_text(), payload, kit_path, kit_error, retry=True)
    st.out.print("Print it or store it somewhere safe, then delete stray copies. Safehold cannot recover it.")
    return {}


def signup_folder(st: State, email: str, folder: Path, hint: str | None, kit: Path | None) -> None:
    from .account_cmds import _check_new_password

    folder = folder.expanduser().absolute()
    password = st.new_password("Choose an account password: ", for_signup=True,
                               check=lambda typed: _check_new_password(typed, email))  # fmt: skip
    service = st.service()
    unlocked, key = service.folders.signup(folder, email, password, hint)
    try:
        if not st.scripted_password:
            st.remember(unlocked)
        account_id = unlocked.account_id
    finally:
        unlocked.close()
    shown = _show_key(st, folder_kit(folder, email, key), kit,
                      f"[green]Vault created[/] for {email} in the folder {folder} (no server).")  # fmt: skip
    if st.json:
        st.emit_json({**shown, "account_id": account_id, "email": email, "transport": "folder",
                      "folder": str(folder), "server": None,
                      "keystore": key_location(service.keystore, account_id)})  # fmt: skip


def _ask_key(header: FolderHeader, folder: Path, st: State) -> AccountKey:
    """The key typed at a hidden prompt, asked again when it is not this vault's."""
    from .account_cmds import _ask_account_key

    service = st.service()
    for attempt in range(1, 4):
        key = _ask_account_key()
        try:
            service.folders.check_key(header, key, folder)
            return key
        except WrongAccountKey as exc:
            if attempt == 3:
                raise
            st.err.print(f"{exc.message}; type it again", markup=False)
    raise AssertionError("unreachable")  # pragma: no cover


def login_folder(
    st: State, email: str, folder: Path, key: AccountKey | None, *, from_kit: bool = False
) -> None:
    from .account_cmds import _progress

    folder = folder.expanduser().absolute()
    service = st.service()
    try:
        header = service.folders.header(folder, email)
    except NotAFolderVault as exc:
        if from_kit:
            exc.hint = (
                "the kit names the folder as the device that wrote it saw it; "
                "give --folder PATH as this device sees it"
            )
        raise
    interactive = sys.stdin.isatty() and not st.password_stdin
    if key is None:
        key = service.folders.stored_key(header)
        if key is not None:
            st.err.print("[dim]using the account key stored on this device[/]")
            try:
                service.folders.check_key(header, key, folder)
            except WrongAccountKey as exc:
                if not interactive:
                    exc.hint = "was it reset? give its new key with --kit FILE, or type it at a terminal"
                    raise
                st.err.print("The account key stored on this device is not this vault's (was it reset?).")
                key = _ask_key(header, folder, st)
        elif interactive:
            key = _ask_key(header, folder, st)
        else:
            raise UsageError(
                f"this device holds no account key for {email}: give --kit FILE, or run this at a "
                "terminal to type the key at a hidden prompt",
                hint="the key is in your Emergency Kit, or run `safehold kit` on a signed-in device",
            )
    else:
        service.folders.check_key(header, key, folder)
    chosen = key
    unlocked: Unlocked = st.with_typed_password(
        lambda password: service.folders.login(folder, email, password, chosen)
    )
    try:
        with _progress(st) as progress:
            report = unlocked.sync(progress)
        if not st.scripted_password:
            st.remember(unlocked)
        count = unlocked.store.item_count()
        account_id = unlocked.account_id
    finally:
        unlocked.close()
    if st.json:
        st.emit_json({"account_id": account_id, "email": email, "items": count, "pulled": report.pulled,
                      "transport": "folder", "folder": str(folder)})  # fmt: skip
    else:
        st.out.print(f"[green]Signed in[/] as {email} (the vault in {folder}); {count} items on this device.")


def reset_folder(
    st: State, email: str | None, folder: Path, hint: str | None, kit: Path | None, yes: bool,
    force: bool = False,
) -> None:  # fmt: skip
    from safehold.client.errors import FolderDamaged
    from safehold.client.folder_account import offer_force

    from .account_cmds import _check_new_password
    from .plain import plain

    folder = folder.expanduser().absolute()
    service = st.service()
    try:
        owner = service.folders.header(folder, email).email
    except FolderDamaged as exc:
        if not force:
            raise offer_force(exc, folder) from None
        if email is None:
            raise UsageError("give the account's EMAIL: the folder's header cannot say it") from None
        owner = email
        st.err.print(f"The vault header in {folder} cannot be read; --force starts the vault over anyway.",
                     markup=False)  # fmt: skip
    st.err.print(f"[bold]Reset the vault of {plain(owner)}[/] in {plain(folder)}", markup=True)
    st.err.print(
        "This gives the vault a new password and a NEW account key, and starts it empty. Nothing "
        "is deleted: the folder keeps the old files in its archive/ directory, and every device "
        "archives its copy when it sees the reset (`safehold archive restore` with the OLD password "
        "brings the items back). If any device can still unlock, use `safehold change-password` "
        "there instead.",
        markup=False,
    )
    if not yes:
        if not sys.stdin.isatty() or st.password_stdin:
            raise UsageError("confirm the reset with --yes", hint="the vault starts over with a new key")
        if input("Type RESET to reset the vault: ").strip() != "RESET":
            raise UsageError("not confirmed; nothing was changed")
    password = st.new_password("New password: ")
    _check_new_password(password, owner)
    if hint is None and sys.stdin.isatty() and not st.password_stdin:
        hint = input("A hint for the new password (optional, shown when unlocking fails): ").strip() or None
    before = {m.id for m in service.archives.all()}
    unlocked, key, written = service.folders.reset(folder, email, password, hint, force=force)
    try:
        if not st.scripted_password:
            st.remember(unlocked)
        account_id = unlocked.account_id
    finally:
        unlocked.close()
    archived = sorted({m.id for m in service.archives.all()} - before)
    headline = f"[green]The vault was reset[/] ({plain(owner)}, generation {written.generation})."
    shown = _show_key(st, folder_kit(folder, owner, key), kit, headline)
    if st.json:
        st.emit_json({**shown, "email": owner, "account_id": account_id, "folder": str(folder),
                      "generation": written.generation, "archived": archived})  # fmt: skip
        return
    if archived:
        st.out.print(f"This device's old copy was archived ({', '.join(archived)}): "
                     "`safehold archive restore` with the old password brings its items back.")  # fmt: skip
    st.out.print(
        "This device is signed in. Other devices: `safehold login EMAIL --folder PATH` "
        "(it asks for the new key)."
    )
