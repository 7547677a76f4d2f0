"""Commands about the account and this device: signup, login, unlock, lock, status, sync,
change-password, hint, devices, kit, reset."""

from __future__ import annotations

import dataclasses
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from safehold.client import password_policy
from safehold.client.errors import (
    AuthFailed,
    ClientError,
    ConflictsCreated,
    ExitCode,
    ItemTooLarge,
    StorageSuspect,
    UsageError,
    WeakPassword,
)
from safehold.client.keystore import key_location
from safehold.client.pending_reset import PendingReset
from safehold.client.settings import TEST_ONLY_SIGNUP_KDF_ENV
from safehold.client.status import human_duration, pending_reset_warning
from safehold.crypto import AccountKey, AccountKeyError, KitPayload

from . import shown
from .folder_cmds import FolderOpt
from .options import EmailArg, JsonOpt, ServerOpt, StdinOpt
from .plain import plain, text
from .state import State, exit_with, handles_errors, state

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from safehold.client.account import AccountService, Unlocked


#: Syncs that move more items than this get a progress bar.
PROGRESS_THRESHOLD = 300


def _with_server(st: State, server: str | None) -> None:
    if server:
        st.settings = dataclasses.replace(st.settings, server=server)


def _plain(value: str) -> str:
    """``value`` (titles from the vault, words from the server) safe inside a Rich markup
    string: markup escaped, control characters shown."""
    return plain(value)


def _valid_email(email: str) -> str:
    """``email`` as typed, once it passes the same check the server makes (exit 2 if not)."""
    from safehold import wire

    try:
        wire.clean_email(email)
    except ValueError as exc:
        raise UsageError(f"{email!r} is not an email address: {exc}") from None
    return email


def _check_new_password(password: str, email: str) -> None:
    verdict = password_policy.check(password, email)
    if not verdict.ok:
        raise WeakPassword(verdict.message(), hint=verdict.hint())


def _write_kit(path: Path, payload: KitPayload) -> None:
    from safehold.client.kit import write_kit_pdf, write_kit_png

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".png":
        write_kit_png(path, payload)
    else:
        write_kit_pdf(path, payload)


def _sign_in_with_new_key(
    st: State, service: AccountService, password: str, key: AccountKey, target: Path, payload: KitPayload
) -> str | None:
    """After a reset or a recovery made a new account key: sign this device in with it and
    sync, then write the Emergency Kit to ``target``. The key is shown on stderr if the
    sign-in failed, so it is never lost; the kit's write error, if any, is returned."""
    kit_error: str | None = None
    signed_in = False
    try:
        unlocked = service.login(payload.email, password, key, payload.server)
        try:
            unlocked.sync()
            if not st.scripted_password:
                st.remember(unlocked)
            signed_in = True
        finally:
            unlocked.close()
    finally:
        try:
            _write_kit(target, payload)
        except Exception as exc:  # the new key is in force: show it whatever else failed
            kit_error = str(exc)
        if not signed_in:
            st.err.print(f"Your NEW account key is {key.to_text()}: write it down now.", markup=False)
    return kit_error


def signup(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="Your email address.")],
    hint: Annotated[str | None, typer.Option(help="A reminder shown when unlocking fails.")] = None,
    kit: Annotated[Path | None, typer.Option(help="Where to write the Emergency Kit PDF.")] = None,
    server: ServerOpt = None,
    folder: FolderOpt = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Create an account. The account key is made on this device and never leaves it.

    Prints the key as text and as a QR code and writes your Emergency Kit (a PDF): print it
    or store it safely; you need it with your password to sign in on another device. With
    --folder the vault is kept in that folder (one a sync service shares), with no server.

    Examples:
      safehold signup ann@example.com --hint "the blue one"
      safehold signup ann@example.com --folder ~/Dropbox/Safehold
    """
    st = state()
    _valid_email(email)
    if folder is not None:
        if server:
            raise UsageError("give --server or --folder, not both")
        from .folder_cmds import signup_folder

        signup_folder(st, email, folder, hint, kit)
        return
    _with_server(st, server)
    password = st.new_password("Choose an account password: ", for_signup=True,
                               check=lambda typed: _check_new_password(typed, email))  # fmt: skip
    service = st.service()
    if st.settings.test_only_insecure_signup_kdf is not None:
        cheap = st.settings.signup_params
        st.err.print(
            f"WARNING: {TEST_ONLY_SIGNUP_KDF_ENV} is set: this account gets the TEST-ONLY Argon2id "
            f"cost t={cheap.t}, m={cheap.m_kib} KiB, p={cheap.p}, far below the safe default. "
            "Never use it for real data.",
            markup=False, highlight=False,
        )  # fmt: skip
    unlocked, key = service.signup(email, password, hint)
    keystore_note = getattr(service.keystore, "fallback_reason", None)
    payload = KitPayload(server=st.settings.server_url, email=email, account_key=key)
    kit_path = kit or service.profile.default_kit_path(email)
    kit_error = None
    try:
        _write_kit(kit_path, payload)
    except Exception as exc:  # the account exists now; say what failed, keep going
        kit_error = str(exc)
    if not st.scripted_password:
        st.remember(unlocked)
    result = {
        "account_key": key.to_text(),
        "account_id": unlocked.account_id,
        "email": email,
        "server": st.settings.server_url,
        "kit": None if kit_error else str(kit_path),
        "keystore": key_location(service.keystore, unlocked.account_id),
        "verification_required": unlocked.verification_required,
    }
    unlocked.close()
    if keystore_note:
        st.err.print(
            f"[yellow]note:[/] {plain(keystore_note)}; the account key is kept in a 0600 file instead"
        )
    if st.json:
        st.emit_json(result)
        return
    st.out.print(f"[green]Account created[/] for {plain(email)} on {plain(st.settings.server_url)}.\n")
    st.out.print("Your account key (you need it, with your password, on every new device):\n")
    shown.new_key(st, key.to_text(), payload, kit_path, kit_error, retry=True)
    st.out.print("Print it or store it somewhere safe, then delete stray copies. Safehold cannot recover it.")
    if result["verification_required"]:
        st.out.print(
            f"\n[yellow]Confirm your address:[/] the server mailed a link to {plain(email)}. The account "
            "works once you open it and press the button."
        )


def _read_key(account_key: str | None, kit: Path | None) -> tuple[AccountKey | None, KitPayload | None]:
    """The key from --account-key or --kit; ``(None, None)`` when neither was given."""
    if account_key is not None and kit is not None:
        raise UsageError("give --account-key or --kit, not both")
    if account_key is not None:
        return AccountKey.parse(account_key), None
    if kit is None:
        return None, None
    from safehold.client.kit import read_kit

    if not kit.exists():
        raise UsageError(f"no such file: {kit}")
    payload = read_kit(kit)
    return payload.account_key, payload


def _ask_account_key() -> AccountKey:
    """The account key typed at a hidden prompt (it is a secret: never an argument), asked
    again after a typo, up to three times."""
    for attempt in range(1, 4):
        text = getpass.getpass("Account key (SH1-…, from your Emergency Kit): ")
        try:
            return AccountKey.parse(text)
        except AccountKeyError as exc:
            if attempt == 3:
                raise
            sys.stderr.write(f"{exc}; type it again\n")
    raise AssertionError("unreachable")  # pragma: no cover


def login(
    email: EmailArg,
    account_key: Annotated[
        str | None,
        typer.Option("--account-key", help="SH1-… (visible to other users: prefer the prompt or --kit)."),
    ] = None,
    kit: Annotated[Path | None, typer.Option(help="Emergency Kit PDF or PNG to read the key from.")] = None,
    server: ServerOpt = None,
    folder: FolderOpt = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Sign this device in to an account, then download the vault.

    With --folder, join the vault kept in that folder (as this device sees it); a folder
    vault's Emergency Kit names the folder, used when --folder is not given.

    A device that already holds the account key (it was signed out, or the password was
    changed elsewhere) needs only the password. Otherwise the key is read from your
    Emergency Kit (--kit) or typed at a hidden prompt; --account-key puts it in your shell
    history and the process list, so it is for throwaway accounts only.

    Examples:
      safehold login ann@example.com --kit "Safehold Emergency Kit.pdf"
      safehold login ann@example.com          # asks for the account key, then the password
      safehold login ann@example.com --folder ~/Dropbox/Safehold
    """
    st = state()
    _valid_email(email)
    if folder is not None and server:
        raise UsageError("give --server or --folder, not both")
    key, payload = _read_key(account_key, kit)
    if payload is not None and payload.email.strip().casefold() != email.strip().casefold():
        raise UsageError(f"that Emergency Kit belongs to {payload.email}, not {email}")
    from_kit = folder is None and not server and payload is not None and payload.folder is not None
    if from_kit and payload is not None and payload.folder is not None:
        folder = Path(payload.folder)
    if folder is not None:
        from .folder_cmds import login_folder

        login_folder(st, email, folder, key, from_kit=from_kit)
        return
    if payload is not None and not server and not st.settings.server:
        server = payload.server
    _with_server(st, server)
    stored = key is None
    if key is None:
        found = st.service().stored_key(email, st.settings.server)
        if found is not None:
            key, known_server = found
            _with_server(st, st.settings.server or known_server)
            st.err.print("[dim]using the account key stored on this device[/]")
        elif sys.stdin.isatty() and not st.password_stdin:
            key = _ask_account_key()
            stored = False
        else:
            raise UsageError(
                f"this device holds no account key for {email}: give --kit FILE, or run this at a "
                "terminal to type the key at a hidden prompt",
                hint="the key is in your Emergency Kit, or run `safehold kit` on a signed-in device",
            )
    service = st.service()
    try:
        if stored:
            # One try: a refusal may be the stored key's fault (a reset), handled below.
            unlocked = service.login(email, st.password(), key, st.settings.server_url)
        else:
            typed_key = key
            unlocked = st.with_typed_password(
                lambda password: service.login(email, password, typed_key, st.settings.server_url)
            )
    except AuthFailed as exc:
        if not stored:
            raise
        if not sys.stdin.isatty() or st.password_stdin:
            if exc.hint is None:
                exc.hint = "if the account was reset, give the new key: --kit FILE, or type it at a terminal"
            raise
        # The stored key may be from before a reset: offer to type the new one.
        st.err.print(
            "The password or the account key stored on this device was refused. If the "
            "account was reset, type the new key from your new Emergency Kit.",
            markup=False,
        )
        key = _ask_account_key()
        unlocked = service.login(email, st.password(), key, st.settings.server_url)
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
        st.emit_json({"account_id": account_id, "email": email, "items": count, "pulled": report.pulled})
    else:
        st.out.print(f"[green]Signed in[/] as {plain(email)}; {count} items on this device.")


def unlock(json_out: JsonOpt = False, password_stdin: StdinOpt = False) -> None:
    """Unlock the vault; the agent keeps the keys until `safehold lock` or the idle timeout.

    Works offline. When the server can be reached it is asked too, so a password changed on
    another device applies here: the new one works, the old one is refused.

    Example:  safehold unlock
    """
    st = state()
    service = st.service()
    idle = human_duration(st.settings.idle_timeout)
    if not st.scripted_password:
        account_id = service.profile.require_current()
        # After a password change elsewhere the agent's keys still read the vault, but the
        # device must sign in again: ask for the new password rather than say "already".
        if st.agent.get(account_id) is not None and not service.password_changed_elsewhere(account_id):
            if st.json:
                st.emit_json({"unlocked": True, "already": True, "account_id": account_id,
                              "idle_timeout": st.settings.idle_timeout, "agent_refused": None})  # fmt: skip
            else:
                st.out.print(f"Already unlocked. Locks after {idle} without use, or with `safehold lock`.")
            return
    unlocked = st.with_typed_password(service.unlock)
    try:
        kept = st.remember(unlocked)
        account_id = unlocked.account_id
    finally:
        unlocked.close()
    if st.json:
        # "unlocked" is false when the password was right but no agent holds the keys.
        st.emit_json({"unlocked": kept, "already": False, "account_id": account_id,
                      "idle_timeout": st.settings.idle_timeout,
                      "agent_refused": st.agent.refused})  # fmt: skip
    elif kept:
        st.out.print(f"Unlocked. Locks again after {idle} without use, or with `safehold lock`.")
    else:
        st.out.print("The password is right, but no agent keeps the keys: each command will ask for it.")
    if not kept:
        # A script that unlocks first must learn that nothing stays unlocked (the reason was
        # printed above: an unsafe or too long socket path, or an agent that did not start).
        exit_with(ExitCode.AGENT_UNAVAILABLE)


def lock(json_out: JsonOpt = False) -> None:
    """Forget the unlocked keys now (stops the agent).

    Example:  safehold lock
    """
    st = state()
    was = st.agent.lock()
    if st.json:
        st.emit_json({"locked": True, "was_unlocked": was})
    else:
        st.out.print("Locked." if was else "Already locked.")


def status(json_out: JsonOpt = False) -> None:
    """Show the account, this device, pending edits and conflict copies; needs no password.

    Example:  safehold status
    """
    st = state()
    service = st.service()
    from safehold.client import status as shown

    from .archive_cmds import purge_and_warn

    purge_and_warn(st, service)
    account_id = service.profile.require_current()
    store = service.open_store(account_id)
    try:
        conflicts = store.conflicts()
        titles = _conflict_titles(st, account_id, [c.copy_id for c in conflicts]) if conflicts else {}
        info = shown.gather(
            store, account_id, unlocked=st.agent.get(account_id) is not None,
            keystore=key_location(service.keystore, account_id),
            auto_sync=st.agent.sync_state(account_id), titles=titles,
        )  # fmt: skip
    finally:
        store.close()
    # The same text the agent gives the fast path (cli/fast.py): one renderer for both.
    out, err = shown.render(info, json_out=st.json, tty=sys.stdout.isatty())
    if err:
        sys.stderr.write(err)
        sys.stderr.flush()
    sys.stdout.write(out)
    sys.stdout.flush()


def warn_pending_reset(st: State, pending: PendingReset) -> None:
    """The server said a reset of this account is scheduled (issue 14 §6): say what, from
    where, when, and how to stop it, on stderr."""
    st.err.print(pending_reset_warning(pending), markup=False)


def _conflict_titles(st: State, account_id: str, copy_ids: list[str]) -> dict[str, str]:
    """The titles of conflict copies, read from the sealed items when the keys are at hand
    (the agent, or a scripted password; offline, so `status` never waits on the network).
    Empty when the vault is locked: the vault file keeps no title in clear."""
    service = st.service()
    try:
        if st.scripted_password:
            unlocked = service.unlock(st.password(), online=False)
        else:
            kept = st.agent.get(account_id)
            if kept is None:
                return {}
            unlocked = service.resume(account_id, kept[0], kept[1])
    except ClientError:
        return {}
    try:
        vault = unlocked.vault
        found = {copy_id: vault.get(copy_id) for copy_id in copy_ids}
        return {copy_id: item.title for copy_id, item in found.items() if item is not None}
    except ClientError:
        return {}
    finally:
        unlocked.close()


class SyncProgress:
    """The sync engine's progress callback: a bar on stderr once a sync moves more than
    :data:`PROGRESS_THRESHOLD` items (counted or announced), none under ``--json``.

    A context manager, so the bar is taken down even when the sync fails half way."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self._bar: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if max(done, total or 0) <= PROGRESS_THRESHOLD:
                return
            # Imported here: most commands never show a bar, and rich.progress is slow to load.
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 console=self.console, transient=True)  # fmt: skip
            self._bar.start()
        bar = self._bar
        if phase not in self._tasks:
            self._tasks[phase] = bar.add_task("downloading" if phase == "pull" else "uploading", total=total)
        bar.update(self._tasks[phase], completed=done, total=total)
        if total is not None and done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar = None
        self._tasks.clear()

    def __enter__(self) -> SyncProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _progress(st: State) -> SyncProgress:
    return SyncProgress(st.err, enabled=not st.json)


def sync(json_out: JsonOpt = False, password_stdin: StdinOpt = False) -> None:
    """Download changes from the server and upload this device's edits.

    Exit code 7 means the sync succeeded and kept conflict copies (see `safehold status`);
    14 means the server refused an item as too large (the rest was synced). Items deleted
    here that another device edited come back, and are listed as restored.

    Example:  safehold sync
    """
    st = state()
    from safehold.client.pending_reset import check as check_pending_reset

    with st.vault() as unlocked, _progress(st) as progress:
        report = unlocked.sync(progress)
        pending = check_pending_reset(unlocked)
    titles = [c.title for c in report.conflicts]
    if st.json:
        st.emit_json({"pulled": report.pulled, "pushed": report.pushed, "merged": report.merged,
                      "conflicts": [dataclasses.asdict(c) for c in report.conflicts],
                      "restored": [dataclasses.asdict(n) for n in report.restored],
                      "rejected": [dataclasses.asdict(n) for n in report.rejected],
                      "refused": [dataclasses.asdict(r) for r in report.refused],
                      "quarantined": [dataclasses.asdict(q) for q in report.quarantined],
                      "gaps": [dataclasses.asdict(g) for g in report.gaps],
                      "unexplained": report.unexplained,

                      "pending_reset": pending.to_json() if pending else None})  # fmt: skip
    else:
        st.out.print(f"Synced: {report.pulled} received, {report.pushed} sent.")
        if pending is not None:
            warn_pending_reset(st, pending)
        for note in report.restored:
            st.out.print(
                f"[yellow]restored:[/] {note.title!r} ({note.item_id}), deleted here, came back "
                "because another device edited it; delete it again if you still want it gone"
            )
        for r in report.refused:
            st.out.print(f"[yellow]refused:[/] item {r.item_id}: {r.reason}; the local copy is kept")
        for q in report.quarantined:
            st.out.print(
                f"[yellow]quarantined:[/] item {q.item_id} (revision {q.revision}) did not open; "
                "kept aside and retried at each sync"
            )
        for g in report.gaps:
            st.out.print(
                f"[yellow]withheld:[/] write {g.seq} of device {g.device} (item {g.item_id}) never arrived"
            )
    if report.rejected:
        names = "; ".join(f"{n.title!r} ({n.item_id})" for n in report.rejected)
        error = ItemTooLarge(
            f"the server refused {len(report.rejected)} item(s) as too large; they stay on this "
            f"device only: {names}",
            items=[(n.item_id, n.title) for n in report.rejected],
        )
        if st.json:
            raise typer.Exit(int(error.exit_code))
        raise error
    if report.refused or report.quarantined or report.gaps:
        suspect = StorageSuspect(
            f"storage served {len(report.refused)} record(s) this device refused, "
            f"{len(report.quarantined)} that did not open, and left out {len(report.gaps)} write(s); "
            "nothing on this device was replaced",
            hint="`safehold status` lists them; if it keeps happening, the storage is not to be trusted",
        )
        if st.json:
            raise typer.Exit(int(suspect.exit_code))
        raise suspect
    if titles:
        if st.json:
            raise typer.Exit(int(ConflictsCreated(titles).exit_code))
        # A success that needs a look, not an error: a notice, and exit 7 for scripts.
        notice = ConflictsCreated(titles)
        st.err.print(f"[yellow]notice:[/] {_plain(notice.message)}")
        if notice.hint:
            st.err.print(_plain(notice.hint), markup=False)
        raise typer.Exit(int(notice.exit_code))


def change_password(
    hint: Annotated[str | None, typer.Option(help="A new account hint ('' removes it).")] = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Change the account password; other devices refuse the old one once they are online.

    Asks for the current password, then the new one twice. With --password-stdin give two
    lines: the current password, then the new one.

    Example:  safehold change-password --hint "the green one"
    """
    st = state()
    service = st.service()
    typed: list[str] = []

    def unlock_with(password: str) -> Unlocked:
        opened = service.unlock(password)
        typed.append(password)
        return opened

    unlocked = st.with_typed_password(unlock_with, "Current password: ")
    current = typed[-1]
    try:
        email = unlocked.store.email
        new = st.new_password(check=lambda candidate: _check_new_password(candidate, email))
        service.change_password(unlocked, current, new, hint)
        if not st.scripted_password:
            st.remember(unlocked)
    finally:
        unlocked.close()
    if st.json:
        st.emit_json({"changed": True})
    else:
        st.out.print("Password changed. Other devices will ask for the new one.")


def hint(email: EmailArg, server: ServerOpt = None, json_out: JsonOpt = False) -> None:
    """Email yourself the account hint (the server answers the same for every address).

    Example:  safehold hint ann@example.com
    """
    st = state()
    _with_server(st, server)
    answer = st.service().request_hint(email, st.settings.server_url)
    if st.json:
        st.emit_json(answer.model_dump())
    else:
        st.out.print(text(answer.message))


def reset(
    email: Annotated[
        str | None, typer.Argument(metavar="[EMAIL]", help="Send the reset mail to this account.")
    ] = None,
    link: Annotated[
        str | None,
        typer.Option("--link", help="Complete the reset from the mailed link; `-` asks for the link."),
    ] = None,
    hint: Annotated[str | None, typer.Option(help="With --link: a hint for the new password.")] = None,
    kit: Annotated[
        Path | None, typer.Option(help="With --link: where to write the new Emergency Kit.")
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", metavar="", help="With --link or --folder: confirm without asking.")
    ] = False,
    delete_old: Annotated[
        bool,
        typer.Option(
            "--delete-old",
            metavar="",
            help="With --link: the server deletes the old data now instead of keeping it sealed "
            "for SAFEHOLD_RESET_ARCHIVE_DAYS.",
        ),
    ] = False,
    cancel: Annotated[
        bool,
        typer.Option(
            "--cancel",
            metavar="",
            help="Cancel the reset the server has scheduled (needs this device unlocked).",
        ),
    ] = False,
    server: ServerOpt = None,
    folder: FolderOpt = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            metavar="",
            help="With --folder: start over even when the folder's header cannot be read (give EMAIL).",
        ),
    ] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Reset the account: for when the password or account key is lost on every device.

    `safehold reset EMAIL` sends the reset mail; `safehold reset --link URL` completes it
    with this client (recommended over the web page: the keys are made here, not by
    JavaScript the server sends). A reset deletes the account's data on the server; devices
    archive their copies. If any device can still unlock, use `safehold change-password`.

    `safehold reset --folder PATH` starts a vault kept in a folder over: a new password and
    account key, the old files moved into the folder's archive/ (nothing is deleted). When
    the folder's header cannot be read at all, `--force EMAIL` starts it over anyway (the
    unreadable header goes into archive/ too).

    A server set to delay resets (SAFEHOLD_RESET_DELAY_HOURS) schedules it instead, tells
    the account's email and devices, and applies it when due; `safehold reset --cancel` on
    an unlocked device stops it.

    Examples:
      safehold reset ann@example.com
      safehold reset --link -          (then paste the link: it stays out of the process list)
      safehold reset --folder ~/Dropbox/Safehold
      safehold reset --cancel
    """
    st = state()
    if cancel:
        if email is not None or link is not None or folder is not None:
            raise UsageError("--cancel takes no EMAIL, --link or --folder")
        from .reset_cmds import cancel_scheduled

        cancel_scheduled(st)
        return
    if folder is not None:
        if link is not None or server:
            raise UsageError("give --folder alone (not with --link or --server)")
        if email is not None:
            _valid_email(email)
        from .folder_cmds import reset_folder

        reset_folder(st, email, folder, hint, kit, yes, force)
        return
    if force:
        raise UsageError("--force goes with --folder PATH (a folder whose header cannot be read)")
    if link is not None:
        if email is not None:
            raise UsageError("give EMAIL (send the mail) or --link URL (complete the reset), not both")
        from .reset_cmds import complete_from_link

        complete_from_link(st, st.link(link), hint, kit, yes, delete_old=delete_old)
        return
    if email is None:
        raise UsageError("give the account's EMAIL, or --link URL from the reset mail")
    _with_server(st, server)
    answer = st.service().request_reset(email, st.settings.server_url)
    if st.json:
        st.emit_json(answer.model_dump())
    else:
        st.out.print(text(answer.message))
        st.out.print("Open the email and follow its link to choose a new password and get a new account key.")
        st.out.print(
            "Recommended: finish here instead, with `safehold reset --link -` (paste the emailed link)."
        )


def kit(
    pdf: Annotated[Path | None, typer.Option(help="Write the Emergency Kit PDF here.")] = None,
    png: Annotated[Path | None, typer.Option(help="Write the kit's QR code as PNG here.")] = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Show the account key again, or write the Emergency Kit (needs the password).

    Examples:
      safehold kit
      safehold kit --pdf ~/kit.pdf
    """
    st = state()
    if pdf and png:
        raise UsageError("give --pdf or --png, not both")
    with st.vault() as unlocked:
        key = unlocked.service.account_key(unlocked.account_id)
        if unlocked.transport_kind == "folder":
            payload = KitPayload(server="", email=unlocked.store.email, account_key=key,
                                 folder=unlocked.store.meta("folder"))  # fmt: skip
        else:
            payload = KitPayload(server=unlocked.store.server, email=unlocked.store.email, account_key=key)
    target = pdf or png
    if target:
        _write_kit(target, payload)
    if st.json:
        st.emit_json({"account_key": key.to_text(), "email": payload.email,
                      "server": payload.server if payload.folder is None else None, "folder": payload.folder,
                      "kit": str(target) if target else None})  # fmt: skip
        return
    st.out.print(f"Account key: [bold]{key.to_text()}[/]")
    if target:
        st.out.print(f"Emergency Kit written to {plain(target)}.")
    else:
        qr = shown.terminal_qr(payload)
        if qr:
            st.out.print(qr, markup=False, highlight=False)


COMMANDS: dict[str, Callable[..., None]] = {
    "signup": signup, "login": login, "unlock": unlock, "lock": lock, "status": status, "sync": sync,
    "change-password": change_password, "hint": hint, "reset": reset, "kit": kit,
}  # fmt: skip


def register(app: typer.Typer) -> None:
    for name, func in COMMANDS.items():
        app.command(name)(handles_errors(func))


__all__ = ["ClientError", "register"]
