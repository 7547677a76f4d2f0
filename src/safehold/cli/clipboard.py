"""Copy a value to the clipboard and clear it 30 seconds later from a detached helper.

The helper is given only a hash of the value (never the value, which would show in the
process list); it clears the clipboard only if it still holds that value, so it never wipes
something the user copied since. Tools tried: wl-copy (Wayland), xclip or xsel (X11),
pbcopy (macOS). The delay is ``ClientSettings.clipboard_clear`` (``SAFEHOLD_CLIPBOARD_CLEAR``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time

from safehold.client.errors import ClientError

CLEAR_AFTER = 30.0


def _tools() -> tuple[list[str], list[str]] | None:
    """(copy command, paste command) for the first clipboard tool that can work here."""
    if os.environ.get("WAYLAND_DISPLAY") and shutil.which("wl-copy") and shutil.which("wl-paste"):
        return ["wl-copy"], ["wl-paste", "--no-newline"]
    if os.environ.get("DISPLAY"):
        if shutil.which("xclip"):
            return ["xclip", "-selection", "clipboard"], ["xclip", "-selection", "clipboard", "-o"]
        if shutil.which("xsel"):
            return ["xsel", "--clipboard", "--input"], ["xsel", "--clipboard", "--output"]
    if sys.platform == "darwin" and shutil.which("pbcopy"):
        return ["pbcopy"], ["pbpaste"]
    return None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def copy_with_timeout(value: str, clear_after: float = CLEAR_AFTER) -> subprocess.Popen[bytes]:
    """Copy ``value``; return the detached helper that will clear it (tests wait on it)."""
    tools = _tools()
    if tools is None:
        raise ClientError(
            "no clipboard is available here",
            hint="install wl-clipboard (Wayland) or xclip (X11), or use --field NAME to print the value",
        )
    copy_cmd, _ = tools
    subprocess.run(copy_cmd, input=value.encode(), check=True, timeout=10)  # noqa: S603
    return subprocess.Popen(  # noqa: S603 — our interpreter and module, no shell, no secret in argv
        [sys.executable, "-m", "safehold.cli.clipboard", _digest(value), str(clear_after)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _clear_later(digest: str, delay: float) -> None:
    time.sleep(delay)
    tools = _tools()
    if tools is None:
        return
    copy_cmd, paste_cmd = tools
    try:
        current = subprocess.run(paste_cmd, capture_output=True, timeout=10).stdout  # noqa: S603
        if hashlib.sha256(current).hexdigest() == digest:
            subprocess.run(copy_cmd, input=b"", check=False, timeout=10)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        pass


if __name__ == "__main__":
    _clear_later(sys.argv[1], float(sys.argv[2]))
