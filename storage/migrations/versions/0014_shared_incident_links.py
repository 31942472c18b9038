"""shared incidents: each ticket link remembers how far the peer has our versions of the ticket; a request
forwarded to a third CSIRT records where it went and that request's reference and state

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import puente.storage.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_links") as batch:
        batch.add_column(sa.Column("sent_through", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("synced_at", puente.storage.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("assistance_requests") as batch:
        batch.add_column(sa.Column("forwarded_to", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("forwarded_reference", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column("forwarded_state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch.add_column(sa.Column("forwarded_from", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assistance_requests") as batch:
        for column in ("forwarded_from", "forwarded_state", "forwarded_reference", "forwarded_to"):
            batch.drop_column(column)
    with op.batch_alter_table("ticket_links") as batch:
        batch.drop_column("synced_at")
        batch.drop_column("sent_through")
