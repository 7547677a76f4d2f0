"""`safehold devices`: the devices signed in to the account; sign one out, rename one."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from safehold.client.devices import find_device
from safehold.client.errors import UsageError

from .options import FLAG, JsonOpt, StdinOpt
from .plain import plain, quoted
from .state import State, handles_errors, new_table, state

if TYPE_CHECKING:
    from safehold import wire
    from safehold.client.account import Unlocked
    from safehold.client.api import ApiClient


def devices(
    revoke: Annotated[
        str | None,
        typer.Option(metavar="DEVICE", help="Sign out this device: name, id, or a unique start of either."),
    ] = None,
    rename: Annotated[
        tuple[str, str] | None,
        typer.Option(metavar="DEVICE NEW_NAME", help="Change the name a device is shown by."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", metavar=FLAG, help="Do not ask to confirm --revoke.")
    ] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """List the devices signed in to the account, sign one out, or rename one.

    On a folder vault: the devices that wrote to the folder (it has no sessions to sign out).

    Examples:
      safehold devices
      safehold devices --revoke "old laptop"
      safehold devices --rename 0123ab "work laptop"
    """
    st = state()
    if revoke is not None and rename is not None:
        raise UsageError("give --revoke or --rename, not both")
    if rename is not None and not rename[1].strip():
        raise UsageError("the new name cannot be empty")
    with st.vault() as unlocked:
        if unlocked.transport_kind == "folder":
            _folder_devices(st, unlocked, revoke is not None or rename is not None)
            return
        with unlocked.api() as api:
            listing = _server_devices(st, unlocked, api, revoke, rename, yes)
    if listing is None:
        return
    if st.json:
        st.emit_json([d.model_dump(mode="json") for d in listing])
        return
    # The id is what --revoke takes: never shortened; it folds onto a second line at worst.
    from rich.table import Column

    table = new_table(Column("id", min_width=32, overflow="fold"), "name", "signed in", "last seen", "")
    for d in listing:
        seen = d.last_seen_at.strftime("%Y-%m-%d %H:%M") if d.last_seen_at else "-"
        table.add_row(
            d.device_id, d.name, d.created_at.strftime("%Y-%m-%d"), seen, "this one" if d.current else ""
        )
    st.out.print(table)


def _server_devices(
    st: State, unlocked: Unlocked, api: ApiClient, revoke: str | None, rename: tuple[str, str] | None,
    yes: bool,
) -> list[wire.Device] | None:  # fmt: skip
    """Sign a device out or rename one (``None``: done), else the listing to show."""
    listing = api.devices().devices
    if revoke is not None:
        device = find_device(listing, revoke)
        if device.current:
            raise UsageError("that is this device: use `safehold logout` to sign it out")
        if not yes:
            if not sys.stdin.isatty() or st.json:
                raise UsageError(
                    f"signing out {quoted(device.name)} ({device.device_id}): confirm with --yes"
                )
            if not typer.confirm(f"Sign out {quoted(device.name)} ({device.device_id})?", default=False):
                st.out.print("Nothing changed.")
                raise typer.Exit(1)
        api.revoke_device(device.device_id)
        if st.json:
            st.emit_json({"revoked": device.device_id, "name": device.name})
        else:
            st.out.print(f"Signed out {quoted(device.name)} ({device.device_id}).", markup=False)
        return None
    if rename is not None:
        device = find_device(listing, rename[0])
        api.rename_device(device.device_id, rename[1].strip())
        if device.current:
            unlocked.store.set_meta(device_name=rename[1].strip())
        if st.json:
            st.emit_json({"renamed": device.device_id, "from": device.name, "name": rename[1].strip()})
        else:
            new_name = quoted(rename[1].strip())
            st.out.print(f"Renamed {quoted(device.name)} to {new_name}.", markup=False)
        return None
    return listing


def _folder_devices(st: State, unlocked: Unlocked, changing: bool) -> None:
    """A folder vault's devices: the ones that wrote to the folder. No sessions, no names."""
    from safehold.client.devices import folder_devices
    from safehold.client.errors import ServerOnly

    folder = unlocked.store.folder or "a folder"
    if changing:
        raise ServerOnly(
            folder,
            "a folder vault has no sessions to sign out and keeps no device names: anyone with "
            "the folder, the password and the account key can open it",
            hint="to shut out a lost device, run `safehold rotate-key` (a new key), or "
            "`safehold reset --folder PATH` if the folder itself may have been copied",
        )
    listing = folder_devices(unlocked)
    if st.json:
        st.emit_json([d.to_json() for d in listing])
        return
    from rich.table import Column

    table = new_table(Column("id", min_width=32, overflow="fold"), "last write", "writes seen", "")
    for d in listing:
        when = d.last_write.strftime("%Y-%m-%d %H:%M") if d.last_write else "-"
        table.add_row(d.device_id, when, str(d.writes_seen), "this one" if d.current else "")
    st.out.print(table)
    st.out.print(f"Devices that wrote to the folder {plain(folder)} (a folder vault keeps no names).")


COMMANDS: dict[str, Callable[..., None]] = {"devices": devices}


def register(app: typer.Typer) -> None:
    for name, func in COMMANDS.items():
        app.command(name)(handles_errors(func))
