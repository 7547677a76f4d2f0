"""``safehold rotate-key``: a new account key without a reset (spec/protocol.md "Account key
rotation"). Items and the vault key stay; the other devices keep their data and ask for the
new key at their next sign-in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safehold.client.key_rotation import rotate_key as rotate
from safehold.crypto import KitPayload

from . import shown
from .account_cmds import _write_kit
from .options import JsonOpt, StdinOpt
from .state import handles_errors, state


def rotate_key(
    kit: Annotated[Path | None, typer.Option(help="Where to write the new Emergency Kit PDF.")] = None,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Replace the account key (for a lost or stolen Emergency Kit or key file).

    Asks for the password again, makes a new account key on this device, re-wraps the vault
    key under it, writes the new Emergency Kit and signs out every other device: they keep
    their data and need the new key (`safehold login EMAIL` asks for it). The old
    key opens nothing any more. Nothing is re-encrypted and nothing is deleted. On a folder
    vault the folder's header gets the new keyset; the other devices ask for the new key at
    their next unlock (`safehold login EMAIL --folder PATH --kit FILE`).

    Example:  safehold rotate-key --kit ~/new-kit.pdf
    """
    st = state()
    if st.scripted_password:
        password = st.password()
        unlocked = st.service().unlock(password)
    else:
        unlocked = st.unlocked()
        password = st._prompt("Password (again, to confirm): ")
    try:
        key = rotate(unlocked.service, unlocked, password)
        email, folder = unlocked.store.email, unlocked.store.folder
        server = "" if folder else unlocked.store.server
    finally:
        unlocked.close()
    # A folder vault's kit names its folder (spec §8's folder form), as `signup --folder` writes it.
    payload = KitPayload(server=server, email=email, account_key=key, folder=folder or None)
    target = kit or unlocked.service.profile.default_kit_path(email)
    kit_error = None
    try:
        _write_kit(target, payload)
    except Exception as exc:  # the key changed already: show it whatever else failed
        kit_error = str(exc)
    if st.json:
        st.emit_json({"account_key": key.to_text(), "email": email, "server": server or None,
                      "folder": folder or None, "kit": None if kit_error else str(target)})  # fmt: skip
        return
    st.out.print("[green]Account key replaced.[/] Your NEW account key:\n")
    shown.new_key(st, key.to_text(), payload, target, kit_error, retry=True,
                  written="New Emergency Kit written to [bold]{}[/]; destroy the old one.")  # fmt: skip
    if folder:
        st.out.print("Other devices keep their data and ask for the new key at their next unlock.")
    else:
        st.out.print("Other devices were signed out; they keep their data and ask for the new key.")


def register(app: typer.Typer) -> None:
    app.command("rotate-key")(handles_errors(rotate_key))
