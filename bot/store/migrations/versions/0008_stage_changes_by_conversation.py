"""Stage changes found by conversation: the message path reads a conversation's earlier
stages at every customer message and idle check, and without an index SQLite scanned the
whole table each time (0.14 ms a read at 2,000 conversations, growing with every one).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_stage_changes_conversation_id", "stage_changes", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_stage_changes_conversation_id", "stage_changes")
