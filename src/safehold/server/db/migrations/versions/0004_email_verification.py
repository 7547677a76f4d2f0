"""accounts.unverified_since and email_verifications, for SAFEHOLD_SIGNUPS=verify

An account made while sign-up requires a confirmed address has ``unverified_since`` set
until its owner opens the mailed link; its sessions are refused until then. NULL for every
account made otherwise (all existing ones).

Revision ID: 0004_email_verification
Revises: 0004_signup_policy
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_email_verification"
down_revision = "0004_signup_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("unverified_since", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "email_verifications",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "account_id",
            sa.String(32),
            sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("email_verifications")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("unverified_since")
