"""What every command shares: settings, output mode, passwords, the unlocked vault, and the
wrapper that turns every client error into its message and exit code.
"""

from __future__ import annotations

import functools
import getpass
import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from safehold.client.account import AccountService, Unlocked
from safehold.client.agent import AgentClient, AgentRefused
from safehold.client.errors import (
    AuthFailed,
    ClientError,
    ExitCode,
    Locked,
    UsageError,
)
from safehold.client.settings import ClientSettings

from .plain import plain, text

if TYPE_CHECKING:
    import httpx
    from rich.console import Console
    from rich.table import Table

#: Tries a person gets at a prompt: a password refused, a new password refused or mistyped.
PROMPT_TRIES = 3

P = ParamSpec("P")
R = TypeVar("R")

#: Deprecated: tests reach the in-process server app through
#: ``safehold.client.transports.test_only_http_transport``. Still honoured when set.
TRANSPORT: httpx.BaseTransport | None = None


@dataclass
class State:
    settings: ClientSettings
    json: bool = False
    password_stdin: bool = False
    _stdin_lines: list[str] | None = None

    _agent: AgentClient | None = None
    _agent_warned: bool = False
    _runtime_warned: bool = False

    # The consoles are made on first use: ``list --json`` into a pipe never prints through
    # rich, and loading it is a noticeable part of a command's start-up.
    @functools.cached_property
    def out(self) -> Console:
        return _console(stderr=False)

    @functools.cached_property
    def err(self) -> Console:
        return _console(stderr=True)

    @property
    def agent(self) -> AgentClient:
        # One client per command, so a refusal found once is remembered and told once.
        socket_path = self.settings.agent_socket
        if self._agent is None or self._agent.path != socket_path:
            self._agent = AgentClient(socket_path, self.settings.idle_timeout)
            note = self.settings.runtime_note
            if note is not None and not self._runtime_warned:
                self._runtime_warned = True
                self.err.print(f"[yellow]warning:[/] {plain(note)}")
        return self._agent

    def warn_agent_refused(self) -> None:
        """Say once why the agent is not used (its socket is somewhere unsafe)."""
        reason = self.agent.refused
        if reason and not self._agent_warned:
            self._agent_warned = True
            self.err.print(f"[yellow]warning:[/] {plain(reason)}; the password will be asked each time")

    def service(self) -> AccountService:
        return AccountService(self.settings, transport=TRANSPORT, on_wipe=self.agent.forget)

    # --- passwords ---------------------------------------------------------------------

    def _stdin_line(self) -> str:
        if self._stdin_lines is None:
            self._stdin_lines = sys.stdin.read().splitlines()
        if not self._stdin_lines:
            raise UsageError("--password-stdin: no password on standard input")
        return self._stdin_lines.pop(0)

    def link(self, value: str) -> str:
        """The link a reset or recovery mail gave (``--link``). It completes the reset once,
        for whoever uses it first, so it should not sit in the process list where any local
        user can read it: ``--link -`` asks for it at a hidden prompt (at a terminal) or reads
        standard input's first line; a link given in the arguments works, with a warning."""
        if value != "-":
            self.err.print(
                "[yellow]note:[/] a link in the command line can be read by other users of this "
                "computer while the command runs; `--link -` asks for it instead",
            )
            return value
        if sys.stdin.isatty():
            link = getpass.getpass("Paste the link from the mail (hidden): ").strip()
        else:
            if self._stdin_lines is None:
                self._stdin_lines = sys.stdin.read().splitlines()
            link = self._stdin_lines.pop(0).strip() if self._stdin_lines else ""
        if not link:
            raise UsageError("--link -: no link given", hint="paste the link from the mail")
        return link

    def stdin_rest(self) -> str:
        """The rest of standard input, without its final newline: the value of
        ``--field-stdin`` or an item's JSON. Under --password-stdin the password's line comes
        first, so commands read this only after the vault is open."""
        if self._stdin_lines is None:
            self._stdin_lines = sys.stdin.read().splitlines()
        rest, self._stdin_lines = "\n".join(self._stdin_lines), []
        if not rest:
            raise UsageError("nothing on standard input", hint="pipe it in: `pass show x | safehold …`")
        return rest

    @property
    def scripted_password(self) -> bool:
        """A password came from stdin or SAFEHOLD_PASSWORD, so the agent is not used."""
        return self.password_stdin or self.settings.password is not None

    def password(self, prompt: str = "Password: ") -> str:
        if self.password_stdin:
            return self._stdin_line()
        if self.settings.password is not None:
            return self.settings.password
        return self._prompt(prompt)

    def new_password(
        self,
        prompt: str = "New password: ",
        *,
        for_signup: bool = False,
        check: Callable[[str], None] | None = None,
    ) -> str:
        """A new password: from stdin, or SAFEHOLD_PASSWORD at signup and SAFEHOLD_NEW_PASSWORD
        at a password change, else typed twice. ``check`` (the password policy) judges it
        before the second entry, so a weak one is not typed twice; at a prompt a refused,
        empty or mistyped one is asked again, up to :data:`PROMPT_TRIES` times."""
        scripted = self.settings.password if for_signup else self.settings.new_password
        if self.password_stdin or scripted is not None:
            value = self._stdin_line() if self.password_stdin else str(scripted)
            if not value:
                raise UsageError("the password cannot be empty")
            if check is not None:
                check(value)
            return value
        for attempt in range(1, PROMPT_TRIES + 1):
            last = attempt == PROMPT_TRIES
            value = self._prompt(prompt)
            if not value:
                if last:
                    raise UsageError("the password cannot be empty")
                self.err.print("The password cannot be empty; type it again.")
                continue
            if check is not None:
                try:
                    check(value)
                except ClientError as exc:
                    if last:
                        raise
                    self.err.print(f"{exc.message}.", markup=False)
                    if exc.hint:
                        self.err.print(exc.hint, markup=False)
                    continue
            if self._prompt("Repeat it: ") == value:
                return value
            if last:
                raise UsageError("the two passwords differ")
            self.err.print("The two passwords differ; choose it again.")
        raise AssertionError("unreachable")  # pragma: no cover

    def with_typed_password(self, attempt: Callable[[str], R], prompt: str = "Password: ") -> R:
        """``attempt(password)``; a password typed at the prompt and refused (AuthFailed) is
        asked again, up to :data:`PROMPT_TRIES` times. A scripted password is tried once."""
        if self.scripted_password:
            return attempt(self.password(prompt))
        for tries in range(1, PROMPT_TRIES + 1):
            try:
                return attempt(self._prompt(prompt))
            except AuthFailed as exc:
                if tries == PROMPT_TRIES:
                    raise
                self.err.print(f"{exc.message}; try again.", markup=False)
                if exc.hint:
                    self.err.print(exc.hint, markup=False)
        raise AssertionError("unreachable")  # pragma: no cover

    def _prompt(self, prompt: str) -> str:
        if not sys.stdin.isatty():
            raise UsageError(
                "no password given",
                hint="type it at a terminal, or pass --password-stdin, or set SAFEHOLD_PASSWORD",
            )
        return getpass.getpass(prompt)

    # --- the vault ---------------------------------------------------------------------

    def unlocked(self) -> Unlocked:
        """The vault, unlocked by the agent, or by the password when one was given."""
        service = self.service()
        if self.scripted_password:
            return service.unlock(self.password())
        account_id = service.profile.require_current()
        kept = self.agent.get(account_id)
        if kept is not None:
            return service.resume(account_id, kept[0], kept[1])
        self.warn_agent_refused()
        if not sys.stdin.isatty():
            if self.agent.refused:
                raise Locked(hint="the agent is not used here (see above): pass --password-stdin or set "
                             "SAFEHOLD_PASSWORD, or fix the directory")  # fmt: skip
            raise Locked()
        unlocked = self.with_typed_password(service.unlock)
        self.remember(unlocked)
        return unlocked

    def remember(self, unlocked: Unlocked) -> bool:
        """Hand the keys to the agent (starting it if needed); False if it does not hold them."""
        try:
            self.agent.start()
            sync = {"home": str(self.settings.home), "interval": self.settings.sync_interval,
                    "delay": self.settings.sync_delay}  # fmt: skip
            return self.agent.put(unlocked.account_id, unlocked.vk, unlocked.token, sync=sync)
        except AgentRefused:
            self.warn_agent_refused()
        except OSError as exc:
            self.err.print(
                f"[yellow]note:[/] the agent could not start ({plain(exc)}); the vault stays locked"
            )
        return False

    @contextmanager
    def vault(self) -> Iterator[Unlocked]:
        unlocked = self.unlocked()
        try:
            yield unlocked
            self._auto_backup(unlocked)
            self._poke_agent(unlocked)
        finally:
            unlocked.close()

    def _poke_agent(self, unlocked: Unlocked) -> None:
        """Edits are waiting: the agent (if it holds the keys) syncs them within seconds."""
        store = unlocked.store
        if store.closed or not store.path.exists():
            return
        try:
            waiting = bool(store.outbox())
        except sqlite3.Error:
            return
        if waiting:
            self.agent.poke(unlocked.account_id)

    def _auto_backup(self, unlocked: Unlocked) -> None:
        """Every few changes, an encrypted backup in the profile (interop/backups.py). A
        backup that cannot be written is reported and never fails the command."""
        from safehold.interop.backups import auto_backup

        if unlocked.store.closed or not unlocked.store.path.exists():
            return  # the command signed out or set the vault aside: nothing to back up
        try:
            auto_backup(unlocked, self.settings)
        except (OSError, ClientError) as exc:
            self.err.print(f"note: the automatic backup could not be written: {exc}", markup=False)

    # --- output ------------------------------------------------------------------------

    def emit_json(self, value: Any) -> None:
        # Indented for a person at a terminal; compact into a pipe, where the C encoder
        # (which cannot indent) writes a 10,000-item listing many times faster.
        indent = 2 if sys.stdout.isatty() else None
        sys.stdout.write(json.dumps(value, indent=indent, ensure_ascii=False, default=_json_default) + "\n")
        sys.stdout.flush()

    def say(self, text: str) -> None:
        """A human message: to stdout normally, to stderr under --json (stdout stays JSON)."""
        (self.err if self.json else self.out).print(text)


def _console(*, stderr: bool) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def new_table(*columns: Any, **options: Any) -> Table:
    """A rich table, with rich loaded only when a command prints one. Its string cells are
    plain text (device names, titles, field values come from elsewhere): never markup,
    control characters shown."""
    return _plain_table_class()(*columns, **options)


@functools.cache
def _plain_table_class() -> type[Table]:
    from rich.table import Table

    class PlainTable(Table):
        def add_row(self, *renderables: Any, **options: Any) -> None:
            cells = [text(cell) if isinstance(cell, str) else cell for cell in renderables]
            super().add_row(*cells, **options)

    return PlainTable


def _json_default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


_current: State | None = None


def set_state(st: State) -> None:
    """Called by the top-level callback on every invocation."""
    global _current
    _current = st


def current_state() -> State | None:
    """The state of this invocation, if the top-level callback got as far as making it."""
    return _current


def state() -> State:
    # Typer runs commands on its own copy of click, so the state set by the top-level
    # callback is kept here rather than looked up on a click context.
    global _current
    if _current is None:
        _current = State(ClientSettings.load())
    return _current


def _translate(exc: BaseException) -> ClientError | None:
    """Errors from the layers below, in the client's terms (the table in cli/errors.py)."""
    from .errors import translate

    return translate(exc)


def report_error(st: State, error: ClientError) -> None:
    if st.json:
        body: dict[str, Any] = {
            "kind": error.kind,
            "message": error.message,
            "exit_code": int(error.exit_code),
        }
        if error.hint:
            body["hint"] = error.hint
        for attr in (
            "retry_after", "reset_at", "generation", "archive", "candidates", "titles",
            "account_key", "items",
        ):  # fmt: skip
            if hasattr(error, attr):
                body[attr] = getattr(error, attr)
        st.emit_json({"error": body})
    else:
        # Messages carry text from elsewhere (the server's words, titles, names): never
        # parsed as markup, control characters shown, not obeyed.
        from rich.text import Text

        st.err.print(Text.assemble(text("error:", "bold red"), " ", text(error.message)))
        if error.hint:
            st.err.print(Text.assemble(text("hint:", "dim"), " ", text(error.hint)))


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command; map any client error to its message and exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        st = state()
        if kwargs.get("json_out"):
            st.json = True
        if kwargs.get("password_stdin"):
            st.password_stdin = True
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            st.err.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            error = _translate(exc)
            if error is None:
                raise
            report_error(st, error)
            raise typer.Exit(int(error.exit_code)) from None

    return wrapper


def exit_with(code: ExitCode) -> None:
    raise typer.Exit(int(code))
