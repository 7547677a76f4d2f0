"""recovery_codes and recovery_tokens: the recovery code (spec/protocol.md §9.2)

``recovery_codes`` holds, per account, the vault key wrapped under a key derived from the
code and SHA-256 of the code's authenticator; ``recovery_tokens`` the hashes of emailed
recovery links, kept apart from reset links so neither can stand in for the other.

Revision ID: 0004_recovery
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_recovery"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recovery_codes",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("auth_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_recovery_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_recovery_codes")),
    )
    op.create_table(
        "recovery_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_recovery_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_recovery_tokens")),
    )
    with op.batch_alter_table("recovery_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_tokens_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recovery_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_tokens_account_id"))
    op.drop_table("recovery_tokens")
    op.drop_table("recovery_codes")
