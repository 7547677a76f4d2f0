"""invites: the addresses an administrator invited, for SAFEHOLD_SIGNUPS=closed

Revision ID: 0004_signup_policy
Revises: 0004_reset_archive
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_signup_policy"
down_revision = "0004_reset_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invites",
        sa.Column("email", sa.String(254), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("invites")
