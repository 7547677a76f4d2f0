"""items.deleted, items.device, items.device_seq: protocol v2's vault log

A v2 write names its device and that device's sequence number, and a v2 deletion is a
sealed tombstone (an envelope with ``deleted``), so "no envelope" no longer means
"deleted" by itself. v1 rows keep ``device`` NULL; their tombstones get ``deleted`` set.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("device", sa.String(32), nullable=True))
        batch.add_column(sa.Column("device_seq", sa.BigInteger(), nullable=True))
    op.execute(sa.text("UPDATE items SET deleted = TRUE WHERE envelope IS NULL"))


def downgrade() -> None:
    # A v2 tombstone becomes a v1 one (no envelope); the claims are dropped.
    op.execute(sa.text("UPDATE items SET envelope = NULL WHERE deleted"))
    with op.batch_alter_table("items") as batch:
        batch.drop_column("device_seq")
        batch.drop_column("device")
        batch.drop_column("deleted")
