"""chat requests: deliveries from chat platforms seen before, so a re-sent one is not run again

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import puente.storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_requests",
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("received_at", puente.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "key"),
    )
    with op.batch_alter_table("chat_requests") as batch:
        batch.create_index(batch.f("ix_chat_requests_received_at"), ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_requests") as batch:
        batch.drop_index(batch.f("ix_chat_requests_received_at"))
    op.drop_table("chat_requests")
