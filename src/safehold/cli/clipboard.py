"""Copy a value to the clipboard and clear it 30 seconds later from a detached helper.

The helper must clear the clipboard only if it still holds our value (never wipe what the
user copied since), yet hold nothing from which the value can be recovered: not the value,
and not a plain hash of it either (an unsalted SHA-256 of a short secret is cracked offline
from the process list in minutes). So it is handed, on its stdin, a random key made for this
copy and the HMAC-SHA256 of the value under that key; the key exists only in the two
processes' memory and dies with the helper, so the MAC alone (even if it leaked) is
unguessable. Its environment is a short allow-list (what the clipboard tools need): nothing
``SAFEHOLD_*``, so not ``SAFEHOLD_PASSWORD``.

Tools tried: wl-copy (Wayland), xclip or xsel (X11), pbcopy (macOS).
The delay is ``ClientSettings.clipboard_clear`` (``SAFEHOLD_CLIPBOARD_CLEAR``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
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


#: What the helper inherits: enough for wl-copy/xclip/xsel/pbcopy to find the display, nothing
#: of ours (no ``SAFEHOLD_PASSWORD``) and no other secret the caller's environment may hold.
HELPER_ENV = (
    "PATH", "HOME", "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "XAUTHORITY",
    "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT",
)  # fmt: skip


def helper_env() -> dict[str, str]:
    return {name: os.environ[name] for name in HELPER_ENV if name in os.environ}


def _mac(key: bytes, value: bytes) -> bytes:
    return hmac.new(key, value, hashlib.sha256).digest()


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
    key = secrets.token_bytes(32)
    helper = subprocess.Popen(  # noqa: S603 — our interpreter and module, no shell, no secret in argv
        [sys.executable, "-m", "safehold.cli.clipboard", str(clear_after)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=helper_env(),
        start_new_session=True,
    )
    assert helper.stdin is not None
    # Through a pipe, not argv or the environment: neither is private to the process.
    with helper.stdin:
        helper.stdin.write(key.hex().encode() + b"\n" + _mac(key, value.encode()).hex().encode() + b"\n")
    return helper


def _clear_later(key: bytes, mac: bytes, delay: float) -> None:
    time.sleep(delay)
    tools = _tools()
    if tools is None:
        return
    copy_cmd, paste_cmd = tools
    try:
        current = subprocess.run(paste_cmd, capture_output=True, timeout=10).stdout  # noqa: S603
        if hmac.compare_digest(_mac(key, current), mac):
            subprocess.run(copy_cmd, input=b"", check=False, timeout=10)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        pass


def _main() -> None:
    try:
        key_hex, mac_hex = sys.stdin.read().split()
        key, mac = bytes.fromhex(key_hex), bytes.fromhex(mac_hex)
        delay = float(sys.argv[1])
    except (ValueError, IndexError):
        return  # not started by copy_with_timeout: nothing to clear
    _clear_later(key, mac, delay)


if __name__ == "__main__":
    _main()
