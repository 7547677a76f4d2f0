"""Commands about this installation rather than the vault: logout, completion (and the
--version the top-level callback answers)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer

from safehold.client.errors import UsageError
from safehold.client.logout import logout as sign_out
from safehold.client.logout import pending_edits

from .options import FLAG, JsonOpt, StdinOpt
from .plain import visible
from .state import handles_errors, state

SHELLS = ("bash", "zsh", "fish")


def version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"safehold {version('safehold')}"
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "safehold (version unknown: not installed)"


def show_version(value: bool) -> None:
    """The eager ``--version`` option: answered before any command is looked for."""
    if value:
        typer.echo(version_text())
        raise typer.Exit(0)


def logout(
    force: Annotated[
        bool, typer.Option("--force", metavar=FLAG, help="Sign out even if edits have not been synced.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", metavar=FLAG, help="Do not ask to confirm.")] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Sign this device out: the server revokes its session, and the device forgets the
    account key, the unlocked keys, its copy of the vault and the Emergency Kits in the profile.

    Your items stay in the account, on the server and your other devices. Edits that have
    not reached the server are refused (exit 45) unless you `safehold sync` first or pass
    --force. Sign in again with `safehold login EMAIL`.

    Examples:
      safehold logout
      safehold logout --yes --json
    """
    st = state()
    service = st.service()
    account_id = service.profile.require_current()
    pending = pending_edits(service, account_id)
    if pending and not force:
        from safehold.client.errors import UnsyncedEdits

        raise UnsyncedEdits(pending)
    if not yes:
        if not sys.stdin.isatty() or st.json:
            raise UsageError("logout removes this device's keys and copy of the vault: confirm with --yes")
        store = service.open_store(account_id)
        email = store.email
        store.close()
        lost = f" and drop {pending} unsynced edit(s)" if pending else ""
        if not typer.confirm(f"Sign {email} out of this device{lost}? You will need your password and "
                             "account key (Emergency Kit) to sign in again", default=False):  # fmt: skip
            st.out.print("Nothing changed.")
            raise typer.Exit(1)
    with st.vault() as unlocked:
        report = sign_out(service, unlocked, force=force)
    if st.json:
        st.emit_json({"logged_out": True, "account_id": report.account_id, "email": report.email,
                      "session_revoked": report.session_revoked, "dropped_edits": report.dropped_edits,
                      "removed_kits": [str(p) for p in report.removed_kits]})  # fmt: skip
        return
    st.out.print(f"Signed {visible(report.email)} out of this device; its keys and copy of the vault "
                 "are gone.", markup=False)  # fmt: skip
    if report.removed_kits:
        st.out.print(f"Removed {len(report.removed_kits)} Emergency Kit file(s) from the profile.")
    if not report.session_revoked:
        st.err.print("[yellow]warning:[/] the server could not be reached, so this device's session "
                     "is still valid there: sign it out from another device (devices --revoke)")  # fmt: skip


def completion(
    shell: Annotated[str, typer.Argument(metavar="SHELL", help="bash, zsh or fish.")],
) -> None:
    """Print the shell completion script (or use --install-completion).

    Examples:
      safehold completion bash > ~/.local/share/bash-completion/completions/safehold
      safehold completion zsh > "${fpath[1]}/_safehold"
      safehold completion fish > ~/.config/fish/completions/safehold.fish
    """
    from typer._completion_shared import get_completion_script

    if shell not in SHELLS:
        raise UsageError(f"no completion for {shell!r}: the shells are {', '.join(SHELLS)}")
    typer.echo(get_completion_script(prog_name="safehold", complete_var="_SAFEHOLD_COMPLETE", shell=shell))


COMMANDS: dict[str, Callable[..., None]] = {"logout": logout, "completion": completion}


def register(app: typer.Typer) -> None:
    for name, func in COMMANDS.items():
        app.command(name)(handles_errors(func))
