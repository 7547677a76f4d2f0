"""The ASGI application: ``create_app(settings)``.

Migrations run when the app starts (in its lifespan), so a fresh database works at once;
``create_app`` itself does no I/O beyond building the services.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

import safehold

from . import handlers
from .db.migrate import upgrade
from .mail.sender import MailSender
from .middleware import AccessLog, BodyLimit, ResponseHeaders
from .routes import accounts, auth, devices, health, pages, recovery, reset, vault
from .services import Services, build_services
from .settings import Settings

log = logging.getLogger("safehold.server")
STATIC_DIR = Path(__file__).parent / "static"


def create_app(
    settings: Settings | None = None, *, sender: MailSender | None = None, migrate: bool = True
) -> FastAPI:
    """Build the app. ``sender`` replaces the configured mail sender (tests);
    ``migrate=False`` skips the upgrade on start (when the caller already ran it)."""
    settings = settings or Settings()
    services = build_services(settings, sender=sender)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            upgrade(settings.effective_database_url)
        log.info("mail goes to %s", services.mailer.sender.describe())
        try:
            services.reset.send_owed_mail()
        except Exception as exc:  # a database not reachable yet must not stop the server starting
            log.warning("could not look for reset mail still owed: %s", type(exc).__name__)
        ticker = asyncio.create_task(_maintenance(services))
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            services.close()

    app = FastAPI(
        title="Safehold",
        version=getattr(safehold, "__version__", "0.1.0"),
        description="Zero-knowledge password manager server. See spec/api.md.",
        lifespan=lifespan,
        docs_url="/docs" if settings.api_docs else None,
        redoc_url="/redoc" if settings.api_docs else None,
        # A trailing-slash redirect builds its Location from the Host header, which the
        # client chose: a path that does not match is a 404, not a redirect.
        redirect_slashes=False,
    )
    app.state.services = services
    app.state.settings = settings
    handlers.install(app)
    for module in (health, accounts, auth, devices, vault, reset, recovery, pages):
        app.include_router(module.router)
    STATIC_DIR.mkdir(exist_ok=True)
    app.mount("/static", pages.SecureStaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(ResponseHeaders, https=settings.base_url.startswith("https://"))
    app.add_middleware(AccessLog)
    return app


async def _maintenance(services: Services) -> None:
    """At start and then every ``maintenance_interval_seconds``: apply the scheduled resets
    that are due and purge the reset archives past their time (services/reset.py). Several
    server processes may each run it: every step locks its rows and is idempotent."""
    while True:
        try:
            await asyncio.to_thread(services.reset.maintain)
        except Exception as exc:  # a database briefly away: the next tick tries again
            log.warning("maintenance tick failed: %s", type(exc).__name__)
        await asyncio.sleep(services.settings.maintenance_interval_seconds)


def get_services(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services
