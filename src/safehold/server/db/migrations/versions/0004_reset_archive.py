"""reset_archives, reset_archive_items, scheduled_resets: a reset that loses nothing

A reset moves the old generation's live items, keyset and KDF parameters into an archive
(kept ``SAFEHOLD_RESET_ARCHIVE_DAYS``) instead of deleting them; with
``SAFEHOLD_RESET_DELAY_HOURS`` a completed reset form waits in ``scheduled_resets``.

Revision ID: 0004_reset_archive
Revises: 0004_recovery
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_reset_archive"
down_revision = "0004_recovery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reset_archives",
        sa.Column("archive_id", sa.String(32), primary_key=True),
        sa.Column(
            "account_id",
            sa.String(32),
            sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kdf_salt", sa.String(64), nullable=False),
        sa.Column("kdf_t", sa.Integer(), nullable=False),
        sa.Column("kdf_m_kib", sa.Integer(), nullable=False),
        sa.Column("kdf_p", sa.Integer(), nullable=False),
        sa.Column("keyset", sa.Text(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_reset_archives_account_id", "reset_archives", ["account_id"])
    op.create_index("ix_reset_archives_expires_at", "reset_archives", ["expires_at"])
    op.create_table(
        "reset_archive_items",
        sa.Column(
            "archive_id",
            sa.String(32),
            sa.ForeignKey("reset_archives.archive_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("item_id", sa.String(32), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device", sa.String(32), nullable=True),
        sa.Column("device_seq", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "scheduled_resets",
        sa.Column(
            "account_id",
            sa.String(32),
            sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_from", sa.String(64), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kdf_salt", sa.String(64), nullable=False),
        sa.Column("kdf_t", sa.Integer(), nullable=False),
        sa.Column("kdf_m_kib", sa.Integer(), nullable=False),
        sa.Column("kdf_p", sa.Integer(), nullable=False),
        sa.Column("verifier", sa.Text(), nullable=False),
        sa.Column("keyset", sa.Text(), nullable=False),
        sa.Column("hint", sa.String(200), nullable=True),
        sa.Column("delete_old", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_scheduled_resets_effective_at", "scheduled_resets", ["effective_at"])


def downgrade() -> None:
    op.drop_table("scheduled_resets")
    op.drop_table("reset_archive_items")
    op.drop_table("reset_archives")
