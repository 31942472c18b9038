"""free text language: the language a ticket note, a request for assistance and each of its messages
were written in (a language tag such as es or pt-BR), sent to peers as STIX `lang`; and what a page
says as a phrase each recipient reads in their own language

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TABLES = ("ticket_notes", "assistance_requests", "assistance_messages")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True))
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("wording", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.drop_column("wording")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("language")
