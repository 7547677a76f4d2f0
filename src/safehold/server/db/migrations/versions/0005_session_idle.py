"""sessions.idle_seconds: a session's own idle lifetime, shorter than the server's

The web vault asks for one at sign-in (``session_idle_seconds``), so a browser tab that was
killed rather than closed does not leave a session open for the server's whole idle
lifetime. NULL (every existing session) means the server's.

Revision ID: 0005_session_idle
Revises: 0004_email_verification
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_session_idle"
down_revision = "0004_email_verification"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("idle_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("idle_seconds")
