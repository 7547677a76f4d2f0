"""Output several commands share: a new account key with its QR code and where its
Emergency Kit went (sign-up, folder sign-up, key rotation, reset, recovery), the account's
devices as the reset and recovery pages list them, and a time as those lists show it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from safehold.crypto import KitPayload

from .plain import plain
from .state import State, new_table


def when(value: object) -> str:
    """A time as the device lists show it (``never`` for none)."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if hasattr(value, "strftime") else "never"


def terminal_qr(payload: KitPayload) -> str | None:
    try:
        from safehold.client.kit import qr_for_terminal

        return qr_for_terminal(payload)
    except Exception:  # the QR is a convenience; the text key is what matters
        return None


def new_key(
    st: State,
    key_text: str,
    payload: KitPayload,
    target: Path | str,
    kit_error: str | None,
    *,
    retry: bool = False,
    written: str = "Emergency Kit written to [bold]{}[/].",
) -> None:
    """The account key in large print, its QR code, and where the Emergency Kit was written
    (``written``, with ``{}`` for the path) or why it was not (``retry``: how to try again)."""
    st.out.print(f"    [bold]{key_text}[/]\n", highlight=False)
    qr = terminal_qr(payload)
    if qr:
        st.out.print(qr, markup=False, highlight=False)
    if kit_error:
        st.err.print(f"[yellow]warning:[/] the Emergency Kit could not be written: {plain(kit_error)}")
        if retry:
            st.err.print("run `safehold kit --pdf FILE` to try again")
    else:
        st.out.print(written.format(plain(target)))


def devices(st: State, listed: Iterable[Any]) -> None:
    """The account's devices (name, added, last seen, signed out), on stderr beside the
    warnings of a reset or recovery."""
    table = new_table("Device", "Added", "Last seen", "")
    for device in listed:
        table.add_row(device.name, when(device.created_at), when(device.last_seen_at),
                      "signed out" if device.signed_out else "")  # fmt: skip
    st.err.print(table)
