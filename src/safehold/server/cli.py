"""``safehold-server``: run the server and administer accounts.

Exit codes: 0 success; 1 unexpected error; 2 usage error (bad option or value);
3 not found (no such account); 4 configuration or database error.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from safehold import wire

from .db.migrate import upgrade
from .db.session import Database
from .errors import InvalidRequest, NotFound
from .services.admin import AccountSummary, AdminService
from .settings import Settings, load_settings


class Exit(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    CONFIG = 4


app = typer.Typer(help="The Safehold server and its admin commands.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
accounts_app = typer.Typer(help="Inspect accounts (never their secrets); invite.", no_args_is_help=True)
license_app = typer.Typer(help="Set an account's licence.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(accounts_app, name="accounts")
app.add_typer(license_app, name="license")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML settings file (also SAFEHOLD_CONFIG)")]
DbOpt = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _fail(code: Exit, message: str, as_json: bool = False) -> typer.Exit:
    if as_json:
        typer.echo(json.dumps({"error": message, "exit_code": int(code)}))
    else:
        typer.echo(f"error: {message}", err=True)
    return typer.Exit(int(code))


def _settings(config: Path | None, as_json: bool = False, **overrides: Any) -> Settings:
    try:
        return load_settings(config, **overrides)
    except (FileNotFoundError, ValidationError, ValueError) as exc:
        # The first line says what is wrong; values are not echoed (they may be secrets).
        first = str(exc).splitlines()[0]
        raise _fail(Exit.CONFIG, f"bad settings: {first}", as_json) from None


def _admin(settings: Settings, as_json: bool) -> AdminService:
    try:
        upgrade(settings.effective_database_url)
    except (SQLAlchemyError, OSError) as exc:
        raise _fail(Exit.CONFIG, f"cannot open the database: {type(exc).__name__}", as_json) from None
    return AdminService(Database(settings.effective_database_url))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [8420]")] = None,
    database_url: DbOpt = None,
    base_url: Annotated[str | None, typer.Option(help="Public URL used in mailed links")] = None,
    config: ConfigOpt = None,
) -> None:
    """Run the HTTP server (migrates the database first)."""
    import uvicorn

    from . import filemodes
    from .app import create_app
    from .log import configure_logging

    settings = _settings(config, host=host, port=port, database_url=database_url, base_url=base_url)
    filemodes.restrict_umask(settings)
    configure_logging(settings.log_level, settings.log_file)
    filemodes.secure(filemodes.data_paths(settings))
    import logging

    log = logging.getLogger("safehold.server")
    log.debug(
        "logging at %s to stderr%s",
        settings.log_level.upper(),
        f" and {settings.log_file}" if settings.log_file else "",
    )
    try:
        before, after = upgrade(settings.effective_database_url)
    except (SQLAlchemyError, OSError) as exc:
        # The driver's own words ("unable to open database file", "connection refused")
        # say what to fix; SQLAlchemy hides bound parameters, so nothing secret is in them.
        log.error(
            "cannot open the database %s: %s",
            _shown_url(settings.effective_database_url),
            getattr(exc, "orig", None) or exc,
        )
        raise typer.Exit(int(Exit.CONFIG)) from None
    if before != after:
        log.info("database migrated from %s to %s", before or "empty", after)
    log.info("database: %s", _shown_url(settings.effective_database_url))
    log.info("mail outbox: %s", settings.outbox_dir if not settings.smtp_host else "(SMTP)")
    log.info("listening on http://%s:%d (public URL %s)", settings.host, settings.port, settings.base_url)
    application = create_app(settings, migrate=False)
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1; the app decides instead,
        # from SAFEHOLD_TRUSTED_PROXIES only (server/client_address.py).
        proxy_headers=False,
        forwarded_allow_ips="",
    )


def _shown_url(database: str) -> str:
    """The database URL without credentials."""
    return database if database.startswith("sqlite") else database.split("@")[-1]


@db_app.command("upgrade")
def db_upgrade(database_url: DbOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Apply every migration."""
    settings = _settings(config, as_json, database_url=database_url)
    try:
        before, after = upgrade(settings.effective_database_url)
    except (SQLAlchemyError, OSError) as exc:
        raise _fail(Exit.CONFIG, f"cannot migrate the database: {type(exc).__name__}", as_json) from None
    if as_json:
        typer.echo(json.dumps({"from": before, "to": after}))
    else:
        typer.echo(
            f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})")
        )


def _print_summary(summary: AccountSummary) -> None:
    data = summary.to_json()
    for key in (
        "account_id",
        "email",
        "created_at",
        "plan",
        "license_status",
        "license_expires",
        "generation",
        "reset_at",
        "item_count",
    ):
        typer.echo(f"{key:16} {data[key] if data[key] is not None else '-'}")
    typer.echo(f"{'devices':16} {len(summary.devices)}")
    for device in summary.devices:
        seen = device.last_seen_at.isoformat() if device.last_seen_at else "never"
        state = ""
        if device.signed_out:
            why = (device.signed_out_reason or "sessions ended").replace("_", " ")
            state = f"  signed out ({why})"
        typer.echo(f"  {device.device_id}  {device.name}  last seen {seen}{state}")
    # Dates and counts only: an archive's contents are ciphertext the server cannot read
    # and this command never prints.
    typer.echo(f"{'archives':16} {len(summary.archives)}")
    for archive in summary.archives:
        typer.echo(
            f"  {archive.archive_id}  generation {archive.generation}  {archive.item_count} items  "
            f"made {archive.created_at:%Y-%m-%d %H:%M} UTC  "
            f"purged after {archive.expires_at:%Y-%m-%d %H:%M} UTC"
        )
    if summary.pending_reset is not None:
        pending = summary.pending_reset
        typer.echo(
            f"{'pending reset':16} requested {pending.requested_at:%Y-%m-%d %H:%M} UTC from "
            f"{pending.requested_from}, takes effect {pending.effective_at:%Y-%m-%d %H:%M} UTC"
        )


@accounts_app.command("list")
def accounts_list(database_url: DbOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """List every account."""
    admin = _admin(_settings(config, as_json, database_url=database_url), as_json)
    summaries = admin.list_accounts()
    if as_json:
        typer.echo(json.dumps({"accounts": [s.to_json() for s in summaries]}))
        return
    if not summaries:
        typer.echo("no accounts")
    for s in summaries:
        expires = f" until {s.license_expires:%Y-%m-%d}" if s.license_expires else ""
        typer.echo(
            f"{s.account_id}  {s.email}  {s.plan} ({s.license_status}{expires})  "
            f"generation {s.generation}  {s.item_count} items  {len(s.devices)} devices"
        )


@accounts_app.command("show")
def accounts_show(
    email: str, database_url: DbOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """Show one account: id, licence, generation, devices, item count, reset archives
    (dates only) and a scheduled reset."""
    admin = _admin(_settings(config, as_json, database_url=database_url), as_json)
    try:
        summary = admin.show(email)
    except (NotFound, InvalidRequest) as exc:
        raise _fail(Exit.NOT_FOUND, exc.message, as_json) from None
    if as_json:
        typer.echo(json.dumps(summary.to_json()))
    else:
        _print_summary(summary)


@accounts_app.command("invite")
def accounts_invite(
    email: str, database_url: DbOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """Invite EMAIL: with SAFEHOLD_SIGNUPS=closed, only invited addresses can sign up (once)."""
    settings = _settings(config, as_json, database_url=database_url)
    admin = _admin(settings, as_json)
    try:
        address, has_account = admin.invite(email)
    except InvalidRequest as exc:
        raise _fail(Exit.USAGE, exc.message, as_json) from None
    if as_json:
        typer.echo(json.dumps({"invited": address, "has_account": has_account, "signups": settings.signups}))
        return
    typer.echo(f"{address} may now sign up (once).")
    if has_account:
        typer.echo("note: that address already has an account.")
    if settings.signups != "closed":
        typer.echo(
            "note: sign-up is open on this server (SAFEHOLD_SIGNUPS=open); "
            "invitations matter only when it is closed."
        )


def _parse_date(text: str | None, as_json: bool = False) -> datetime | None:
    if text is None:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise _fail(Exit.USAGE, "--expires: use YYYY-MM-DD", as_json) from None
    # A licence "until 2026-03-01" lasts through that day.
    return day.replace(hour=23, minute=59, second=59, tzinfo=UTC)


def _parse_plan(text: str, as_json: bool = False) -> wire.Plan:
    # Checked here, not by click, so that a --json caller gets the error as JSON too.
    try:
        return wire.Plan(text.strip().lower())
    except ValueError:
        choices = ", ".join(plan.value for plan in wire.Plan)
        raise _fail(Exit.USAGE, f"--plan: use one of {choices}", as_json) from None


@license_app.command("set")
def license_set(
    email: str,
    plan: Annotated[str, typer.Option("--plan", help="free or premium")],
    expires: Annotated[str | None, typer.Option("--expires", help="YYYY-MM-DD (last day)")] = None,
    database_url: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the plan and (optionally) the expiry date of an account's licence."""
    chosen = _parse_plan(plan, as_json)
    expiry = _parse_date(expires, as_json)
    admin = _admin(_settings(config, as_json, database_url=database_url), as_json)
    try:
        summary = admin.set_license(email, chosen, expiry)
    except (NotFound, InvalidRequest) as exc:
        raise _fail(Exit.NOT_FOUND, exc.message, as_json) from None
    if as_json:
        typer.echo(json.dumps(summary.to_json()))
    else:
        until = f" until {summary.license_expires:%Y-%m-%d}" if summary.license_expires else ""
        typer.echo(f"{summary.email}: {summary.plan} ({summary.license_status}){until}")


def _plain_flags(command: Any) -> None:
    """Show each flag as a plain flag in help: Typer prints a type beside every option,
    ``<bool>`` for flags too (``--help <bool>``), and an empty metavar drops it. The help
    option is made afresh on each call, so that call is wrapped. (The client's CLI does the
    same in ``safehold.cli.options``; the server never imports the client.)"""
    make_help = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make_help(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = get_help_option
    for param in command.params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _plain_flags(sub)


def run() -> None:
    command = typer.main.get_command(app)
    _plain_flags(command)
    try:
        command(prog_name="safehold-server")
    except KeyboardInterrupt:
        sys.exit(130)
