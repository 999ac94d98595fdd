"""The outbox says in typed columns which escalation card a call needs, not in hidden params.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Until now a call that replies in, or edits, an escalation card carried a placeholder key in its
Slack params (`__thread_of_escalation`, `__card_of_escalation`), and one that posts a card said
so in `after_sent` (`{"attach_card": id}`). Unsent rows are converted; values are written as
literals, since a migration must not change when the code's enums do.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PLACEHOLDERS = {"__thread_of_escalation": "thread", "__card_of_escalation": "update"}
UNSENT = ("pending", "sending")


def _outbox(*extra: sa.Column) -> sa.TableClause:
    return sa.table("outbox", sa.column("id", sa.Integer), sa.column("status", sa.String),
                    sa.column("params", sa.JSON), *extra)  # fmt: skip


def _loaded(value: object) -> dict:
    if isinstance(value, str):  # some drivers hand JSON back as text
        value = json.loads(value)
    return dict(value or {})


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("card_link", sa.String(length=16), nullable=True))
    outbox = _outbox(sa.column("after_sent", sa.JSON), sa.column("escalation_id", sa.Integer),
                     sa.column("card_link", sa.String))  # fmt: skip
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(outbox.c.id, outbox.c.params, outbox.c.after_sent).where(
            outbox.c.status.in_(UNSENT)
        )
    ).all()
    for row_id, params, after_sent in rows:
        params, after_sent = _loaded(params), _loaded(after_sent)
        escalation_id, link = None, None
        if "attach_card" in after_sent:
            escalation_id, link = after_sent["attach_card"], "post"
        for placeholder, kind in PLACEHOLDERS.items():
            if placeholder in params:
                escalation_id, link = params.pop(placeholder), kind
        if link is not None:
            connection.execute(
                outbox.update()
                .where(outbox.c.id == row_id)
                .values(params=params, escalation_id=int(escalation_id), card_link=link)
            )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("after_sent")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("after_sent", sa.JSON(), nullable=True))
    outbox = _outbox(sa.column("after_sent", sa.JSON), sa.column("escalation_id", sa.Integer),
                     sa.column("card_link", sa.String))  # fmt: skip
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(outbox.c.id, outbox.c.params, outbox.c.escalation_id, outbox.c.card_link).where(
            outbox.c.status.in_(UNSENT), outbox.c.card_link.is_not(None)
        )
    ).all()
    for row_id, params, escalation_id, link in rows:
        params, after_sent = _loaded(params), None
        if link == "post":
            after_sent = {"attach_card": escalation_id}
        else:
            key = next(k for k, v in PLACEHOLDERS.items() if v == link)
            params[key] = escalation_id
        connection.execute(
            outbox.update().where(outbox.c.id == row_id).values(params=params,
                                                                 after_sent=after_sent)
        )  # fmt: skip
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("card_link")
        batch_op.drop_column("escalation_id")
