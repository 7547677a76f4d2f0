"""Alembic environment. Always run through ``safehold.server.db.migrate`` with a
connection; there is no alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from safehold.server.db.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations with `safehold-server db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
