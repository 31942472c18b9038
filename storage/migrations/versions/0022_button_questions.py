"""button questions: a Telegram button's confirm question is stored as a phrase (message and values),
asked of whoever presses it in their own language, not as the text of the language of the one who asked

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 11:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

buttons = sa.table(
    "pending_buttons",
    sa.column("token", sa.String),
    sa.column("confirm", sa.String),
    sa.column("question", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("pending_buttons") as batch:
        batch.add_column(sa.Column("question", sa.JSON(), nullable=True))
    connection = op.get_bind()
    asked = connection.execute(sa.select(buttons.c.token, buttons.c.confirm).where(buttons.c.confirm.is_not(None)))
    for token, text in asked.all():
        # A question asked before reads as it was written: a phrase of its text alone (its braces doubled,
        # as a phrase's message is formatted).
        message = text.replace("{", "{{").replace("}", "}}")
        question = {"message": message, "values": {}}
        connection.execute(buttons.update().where(buttons.c.token == token).values(question=question))
    with op.batch_alter_table("pending_buttons") as batch:
        batch.drop_column("confirm")


def downgrade() -> None:
    # A question cannot go back to one language's text: the buttons that ask one are forgotten (pressing one
    # says to type the command instead), rather than kept to run without asking.
    op.execute(buttons.delete().where(buttons.c.question.is_not(None)))
    with op.batch_alter_table("pending_buttons") as batch:
        batch.add_column(sa.Column("confirm", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.drop_column("question")
