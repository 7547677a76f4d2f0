"""``safehold reset --link URL``: complete an account reset with this client instead of the
page's JavaScript (issue 14 §3; the keys are made here, see client/reset_completion.py).

``account_cmds.reset`` keeps ``safehold reset EMAIL`` (send the mail) and hands ``--link``
to :func:`complete_from_link` and ``--cancel`` to :func:`cancel_scheduled` (issue 14 §6: a
server with ``SAFEHOLD_RESET_DELAY_HOURS`` schedules the reset instead of applying it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from safehold.client.errors import UsageError
from safehold.client.reset_completion import complete_reset, parse_link, reset_info
from safehold.crypto import KitPayload

from . import shown
from .account_cmds import _check_new_password, _sign_in_with_new_key, _write_kit
from .plain import plain
from .state import State


def cancel_scheduled(st: State) -> None:
    """``safehold reset --cancel``: stop the reset the server has scheduled."""
    from safehold.client.pending_reset import cancel

    with st.vault() as unlocked:
        cancelled = cancel(unlocked)
    if st.json:
        st.emit_json({"cancelled": cancelled.to_json()})
        return
    st.out.print(
        f"Cancelled the reset requested on {shown.when(cancelled.requested_at)} from "
        f"{cancelled.requested_from} (it would have taken effect on {shown.when(cancelled.effective_at)}). "
        "Nothing was changed; the account's email was told.",
        markup=False,
    )


def _scheduled(
    st: State, info_email: str, key_text: str, answer_generation: int, scheduled_for: object,
    target: Path, kit_error: str | None, payload: KitPayload,
) -> None:  # fmt: skip
    """The answer when the server scheduled the reset: the new key exists, but signs in to
    nothing until the reset is applied."""
    if st.json:
        st.emit_json({"account_key": key_text, "email": info_email, "generation": answer_generation,
                      "scheduled_for": scheduled_for, "kit": None if kit_error else str(target),
                      "archived": []})  # fmt: skip
        return
    st.out.print(f"[yellow]The reset is scheduled[/] for {shown.when(scheduled_for)} ({info_email}).\n")
    st.out.print("Until then the old password and account key keep working, and a device where the "
                 "account is unlocked can cancel it (`safehold reset --cancel`). The account's email "
                 "was told. From then on, sign in with the new password and this NEW key:\n")  # fmt: skip
    shown.new_key(st, key_text, payload, target, kit_error)


def complete_from_link(
    st: State, url: str, hint: str | None, kit: Path | None, yes: bool, *, delete_old: bool = False
) -> None:
    link = parse_link(url)
    service = st.service()
    info = reset_info(service, link)
    # The same warnings and device list as the reset page.
    st.err.print(f"[bold]Reset the account {plain(info.email)}[/] on {plain(link.server)}", markup=True)
    st.err.print(
        "This gives the account a new password and a NEW account key. Everything stored in the "
        "account is deleted from the live account, and every device is signed out. Devices do not delete "
        "their copy: each archives it, and `safehold archive restore` with the OLD password brings "
        "the items back. If any device can still unlock, use `safehold change-password` there instead."
    )
    shown.devices(st, info.devices)
    st.err.print(f"The link expires at {shown.when(info.expires_at)}.")
    if info.delay_hours > 0:
        st.err.print(f"This server waits {info.delay_hours:g} hours before a reset takes effect; "
                     "until then it can be cancelled from a signed-in device.")  # fmt: skip
    if info.archive_days > 0:
        kept = ("is deleted now (--delete-old)" if delete_old
                else f"is kept sealed on the server for {info.archive_days:g} days (the old password "
                "and old account key open it; --delete-old deletes it now instead)")
        st.err.print(f"The account's old data {kept}.")  # fmt: skip
    if not yes:
        if not sys.stdin.isatty() or st.password_stdin:
            raise UsageError(
                "confirm the reset with --yes", hint="the account's data on the server is deleted"
            )
        if input("Type RESET to reset the account: ").strip() != "RESET":
            raise UsageError("not confirmed; nothing was changed")
    password = st.new_password("New password: ")
    _check_new_password(password, info.email)
    if hint is None and sys.stdin.isatty() and not st.password_stdin:
        hint = input("A hint for the new password (optional, shown when unlocking fails): ").strip() or None
    key, answer = complete_reset(service, link, info, password, hint, delete_old=delete_old)
    payload = KitPayload(server=link.server, email=info.email, account_key=key)
    target = kit or service.profile.default_kit_path(info.email)
    if answer.scheduled_for is not None:
        unwritten: str | None = None
        try:
            _write_kit(target, payload)
        except Exception as exc:  # the key is shown whatever else failed
            unwritten = str(exc)
            st.err.print(f"Your NEW account key is {key.to_text()}: write it down now.", markup=False)
        _scheduled(st, info.email, key.to_text(), answer.generation, answer.scheduled_for, target,
                   unwritten, payload)  # fmt: skip
        return
    before = {m.id for m in service.archives.all()}
    # Signing in archives a vault of the old generation (and its old kit) first.
    kit_error = _sign_in_with_new_key(st, service, password, key, target, payload)
    archived = sorted({m.id for m in service.archives.all()} - before)
    if st.json:
        st.emit_json({"account_key": key.to_text(), "email": info.email, "account_id": answer.account_id,
                      "generation": answer.generation, "reset_at": answer.reset_at,
                      "kit": None if kit_error else str(target), "archived": archived})  # fmt: skip
        return
    st.out.print(f"[green]The account was reset[/] ({plain(info.email)}, generation {answer.generation}).\n")
    st.out.print("Your NEW account key (you need it, with your password, on every device):\n")
    shown.new_key(st, key.to_text(), payload, target, kit_error)
    if archived:
        st.out.print(f"This device's old copy was archived ({', '.join(archived)}): "
                     "`safehold archive restore` with the old password brings its items back.")  # fmt: skip
    st.out.print("This device is signed in. Other devices: `safehold login EMAIL` (it asks for the new key).")
