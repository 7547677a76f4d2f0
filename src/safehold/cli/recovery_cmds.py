"""``safehold recovery-code`` and ``safehold recover``: a forgotten password without a reset
(spec/protocol.md §9.2; the work is client/recovery.py's).

A recovery needs both the code and the emailed link. The code is read at a hidden prompt,
from ``SAFEHOLD_RECOVERY_CODE``, or as the first line of standard input (``--code-stdin``),
never from the command line.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from safehold.client.errors import UsageError
from safehold.client.recovery import (
    make_recovery_code,
    no_code,
    parse_recovery_link,
    recover,
    recovery_info,
    recovery_status,
    request_recovery,
    revoke_recovery_code,
)
from safehold.crypto import KitPayload, RecoveryCode, RecoveryCodeError

from . import shown
from .account_cmds import _check_new_password, _sign_in_with_new_key, _with_server
from .options import FLAG, JsonOpt, ServerOpt, StdinOpt
from .state import State, handles_errors, state

#: A mistyped code at the prompt is asked again this many times in all.
CODE_TRIES = 3


def recovery_code(
    revoke: Annotated[bool, typer.Option("--revoke", metavar=FLAG, help="Remove the recovery code.")] = False,
    status: Annotated[
        bool, typer.Option("--status", metavar=FLAG, help="Say whether a code is in force.")
    ] = False,
    kit: Annotated[
        Path | None,
        typer.Option(help="Also write the Emergency Kit PDF here, with the code on a second page."),
    ] = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Make a recovery code: if you forget your password, it and an emailed link recover the
    account without a reset, keeping every item.

    The code is shown once; write it down (or keep the kit's second page) away from your email.
    Making a new code makes the old one useless; `--revoke` removes it. Asks for the password
    again. The server keeps only the vault key wrapped under a key derived from the code, and
    a hash that lets it check the code without learning it.

    Examples:
      safehold recovery-code
      safehold recovery-code --kit ~/safehold-kit.pdf
      safehold recovery-code --revoke
    """
    st = state()
    if revoke and status:
        raise UsageError("give --revoke or --status, not both")
    if revoke or status:
        unlocked = st.unlocked()
        try:
            if revoke:
                revoke_recovery_code(unlocked)
            answer = recovery_status(unlocked)
        finally:
            unlocked.close()
        if st.json:
            st.emit_json({"exists": answer.exists, "created_at": answer.created_at})
        elif revoke:
            st.out.print("The recovery code was removed; the account can no longer be recovered with one.")
        elif answer.exists:
            st.out.print(f"A recovery code is in force (made {shown.when(answer.created_at)}).")
        else:
            st.out.print("No recovery code. Make one with `safehold recovery-code`.")
        return
    if st.scripted_password:
        password = st.password()
        unlocked = st.service().unlock(password)
    else:
        unlocked = st.unlocked()
        password = st._prompt("Password (again, to confirm): ")
    try:
        code = make_recovery_code(unlocked.service, unlocked, password)
        email, server, account_id = unlocked.store.email, unlocked.store.server, unlocked.account_id
        key = unlocked.service.account_key(account_id)
    finally:
        unlocked.close()
    kit_error: str | None = None
    if kit is not None:
        try:
            _write_kit_with_code(kit, KitPayload(server=server, email=email, account_key=key), code)
        except Exception as exc:  # the code is in force already: show it whatever else failed
            kit_error = str(exc)
    if st.json:
        st.emit_json({"recovery_code": code.to_text(), "email": email,
                      "kit": str(kit) if kit is not None and not kit_error else None})  # fmt: skip
        return
    st.out.print("[green]Recovery code made.[/] Write it down now; it is shown only this once:\n")
    st.out.print(f"    [bold]{code.to_text()}[/]\n", highlight=False)
    st.out.print(
        "With it and a link emailed to you, `safehold recover EMAIL` gives the account a new password "
        "and keeps every item. Keep it away from your email. Any earlier code no longer works."
    )
    if kit_error:
        st.err.print(f"[yellow]warning:[/] the Emergency Kit could not be written: {kit_error}")
    elif kit is not None:
        st.out.print(f"Emergency Kit with the code on page 2 written to [bold]{kit}[/].")


def _write_kit_with_code(path: Path, payload: KitPayload, code: RecoveryCode) -> None:
    from safehold.client.kit import write_kit_pdf

    if path.suffix.lower() != ".pdf":
        raise UsageError("the kit with a recovery code is a PDF: give a path ending in .pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_kit_pdf(path, payload, recovery_code=code)


def _read_code(st: State, code_stdin: bool) -> RecoveryCode:
    if code_stdin:
        return RecoveryCode.parse(st._stdin_line())
    if st.settings.recovery_code is not None:
        return RecoveryCode.parse(st.settings.recovery_code)
    if not sys.stdin.isatty():
        raise UsageError(
            "no recovery code given",
            hint="type it at a terminal, or pass --code-stdin, or set SAFEHOLD_RECOVERY_CODE",
        )
    for attempt in range(1, CODE_TRIES + 1):
        try:
            return RecoveryCode.parse(st._prompt("Recovery code (SHR1-…): "))
        except RecoveryCodeError as exc:
            if attempt == CODE_TRIES:
                raise
            st.err.print(f"{exc}; type it again.", markup=False)
    raise AssertionError("unreachable")  # pragma: no cover


def recover_cmd(
    email: Annotated[
        str | None, typer.Argument(metavar="[EMAIL]", help="Send the recovery mail to this account.")
    ] = None,
    link: Annotated[
        str | None,
        typer.Option(
            "--link", help="Recover with the mailed link (asks for the code); `-` asks for the link."
        ),
    ] = None,
    hint: Annotated[str | None, typer.Option(help="With --link: a hint for the new password.")] = None,
    kit: Annotated[
        Path | None, typer.Option(help="With --link: where to write the new Emergency Kit.")
    ] = None,
    code_stdin: Annotated[
        bool,
        typer.Option(
            "--code-stdin", metavar=FLAG, help="Read the recovery code from standard input's first line."
        ),
    ] = False,
    server: ServerOpt = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Recover the account with its recovery code: a new password, nothing lost.

    `safehold recover EMAIL` mails a link; `safehold recover --link URL` asks for the recovery
    code and a new password, makes a new account key on this device, and re-wraps the same
    vault key, so every item stays. Every device is signed out and keeps its data; each asks
    for the new password and key. Needs both the code and the link.

    Examples:
      safehold recover ann@example.com
      safehold recover --link -        (then paste the link: it stays out of the process list)
    """
    st = state()
    if link is None:
        if email is None:
            raise UsageError("give the account's EMAIL, or --link URL from the recovery mail")
        _with_server(st, server)
        request_recovery(st.service(), email, st.settings.server_url)
        if st.json:
            st.emit_json({"message": "If an account exists for that address, we have sent an email"})
            return
        st.out.print("If an account exists for that address, we have sent an email.")
        st.out.print(
            "Then run `safehold recover --link -`, paste the link from it, and have your recovery code ready."
        )
        return
    if email is not None:
        raise UsageError("give EMAIL (send the mail) or --link URL (recover), not both")
    _complete(st, st.link(link), hint, kit, code_stdin)


def _complete(st: State, url: str, hint: str | None, kit: Path | None, code_stdin: bool) -> None:
    recovery_link = parse_recovery_link(url)
    service = st.service()
    info = recovery_info(service, recovery_link)
    st.err.print(f"[bold]Recover the account {info.email}[/] on {recovery_link.server}")
    st.err.print(
        "This gives the account a new password and a NEW account key; every item stays. Every "
        "device below is signed out, keeps its data, and asks for the new password and key."
    )
    shown.devices(st, info.devices)
    if not info.has_code:
        raise no_code()  # before asking for anything
    code = _read_code(st, code_stdin)
    password = st.new_password("New password: ", check=partial(_check_new_password, email=info.email))
    if hint is None and sys.stdin.isatty() and not (st.password_stdin or code_stdin):
        hint = input("A hint for the new password (optional, shown when unlocking fails): ").strip() or None
    key, answer = recover(service, recovery_link, info, code, password, hint)
    payload = KitPayload(server=recovery_link.server, email=info.email, account_key=key)
    target = kit or service.profile.default_kit_path(info.email)
    # Signing in keeps this device's vault of the account (same generation), if it has one.
    kit_error = _sign_in_with_new_key(st, service, password, key, target, payload)
    if st.json:
        st.emit_json({"account_key": key.to_text(), "email": info.email, "account_id": answer.account_id,
                      "generation": answer.generation, "recovered_at": answer.recovered_at,
                      "kit": None if kit_error else str(target)})  # fmt: skip
        return
    st.out.print(f"[green]The account was recovered[/] ({info.email}); every item was kept.\n")
    st.out.print("Your NEW account key (you need it, with your new password, on every device):\n")
    shown.new_key(st, key.to_text(), payload, target, kit_error)
    st.out.print("This device is signed in. Other devices: `safehold login EMAIL` (they keep their data).")
    st.out.print("The recovery code is used up: make a new one with `safehold recovery-code`.")


def register(app: typer.Typer) -> None:
    app.command("recovery-code")(handles_errors(recovery_code))
    app.command("recover")(handles_errors(recover_cmd))
