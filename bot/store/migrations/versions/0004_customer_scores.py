"""Fast summaries: customers keep their scores, feedback its stage, unanswered questions an index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_score", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("lead_scored_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("usual_gap_days", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("last_conversation_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_customers_lead_score", ["lead_score"])
        batch_op.create_index("ix_customers_last_seen", ["last_seen"])
    # The per-stage summary groups a period's conversations and messages.
    op.create_index("ix_conversations_stage_opened", "conversations", ["opened_at", "stage"])
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_feedback_at", ["at"])
    op.create_index(
        "ix_messages_unanswered", "messages", ["created_at"],
        sqlite_where=sa.text("decision = 'none' AND role = 'customer'"),
        postgresql_where=sa.text("decision = 'none' AND role = 'customer'"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_messages_unanswered", table_name="messages")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_at")
        batch_op.drop_column("stage")
    op.drop_index("ix_conversations_stage_opened", table_name="conversations")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_last_seen")
        batch_op.drop_index("ix_customers_lead_score")
        batch_op.drop_column("last_conversation_at")
        batch_op.drop_column("usual_gap_days")
        batch_op.drop_column("lead_scored_at")
        batch_op.drop_column("lead_score")
