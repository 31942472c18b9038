"""picker labels: each choice a Telegram picker offers is stored as a phrase (message and values) beside
the value it picks, read by whoever presses in their own language, not as the text of the language of
the one who asked

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

buttons = sa.table("pending_buttons", sa.column("token", sa.String), sa.column("choices", sa.JSON))


def upgrade() -> None:
    connection = op.get_bind()
    for token, choices in connection.execute(sa.select(buttons.c.token, buttons.c.choices)).all():
        if not choices:
            continue
        # A label offered before reads as it was written: a phrase of its text alone (its braces doubled,
        # as a phrase's message is formatted).
        labelled = [
            {"label": {"message": label.replace("{", "{{").replace("}", "}}"), "values": {}}, "value": value}
            for label, value in choices
        ]
        connection.execute(buttons.update().where(buttons.c.token == token).values(choices=labelled))


def downgrade() -> None:
    # A label cannot go back to one language's text: the pickers are forgotten (pressing one says to type
    # the command instead), rather than kept with choices the older code cannot read.
    connection = op.get_bind()
    for token, choices in connection.execute(sa.select(buttons.c.token, buttons.c.choices)).all():
        if choices:
            connection.execute(buttons.delete().where(buttons.c.token == token))
