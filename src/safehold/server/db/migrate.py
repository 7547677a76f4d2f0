"""Alembic, run from code: on server start and by ``safehold-server db upgrade``."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from .session import make_engine

SCRIPT_LOCATION = "safehold.server.db:migrations"
#: Any constant works; it only has to be the same in every server process.
PG_MIGRATION_LOCK = 0x5AFE_401D


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database to ``revision``; returns (before, after) revisions.

    Two processes starting at once on one PostgreSQL database take turns on an advisory
    lock, so the second finds the work done.
    """
    engine = make_engine(url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
            before = MigrationContext.configure(connection).get_current_revision()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            after = MigrationContext.configure(connection).get_current_revision()
        return before, after
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
