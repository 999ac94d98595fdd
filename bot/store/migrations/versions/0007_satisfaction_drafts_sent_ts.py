"""Satisfaction after a resolved escalation, article drafts from agents' answers, and where
each sent message landed (so edits and deletions can follow it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "satisfaction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("escalation_id", sa.Integer(),
                  sa.ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("conversation_id", sa.Integer(),
                  sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("escalation_id", name="uq_satisfaction_escalation"),
    )  # fmt: skip
    op.create_index("ix_satisfaction_at", "satisfaction", ["at"])
    op.create_table(
        "article_drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.Integer(),
                  sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=True),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("article_id", sa.String(128), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
    )  # fmt: skip
    op.create_index("ix_article_drafts_conversation_id", "article_drafts", ["conversation_id"])
    op.create_index("ix_article_drafts_status", "article_drafts", ["status"])
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_ts", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("sent_ts")
    op.drop_index("ix_article_drafts_status", "article_drafts")
    op.drop_index("ix_article_drafts_conversation_id", "article_drafts")
    op.drop_table("article_drafts")
    op.drop_index("ix_satisfaction_at", "satisfaction")
    op.drop_table("satisfaction")
