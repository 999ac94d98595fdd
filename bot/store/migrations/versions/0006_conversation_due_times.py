"""Timers that cost what is due: each conversation keeps when its next timer falls due.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_conversations_due", ["status", "due_at"])
    # Open conversations are looked at by the next timer pass, which sets their real due time.
    op.execute("UPDATE conversations SET due_at = last_activity_at WHERE status = 'open'")


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_due")
        batch_op.drop_column("due_at")
