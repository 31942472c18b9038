"""ticket publications: the collections a ticket is published in, so its later versions follow it there

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import puente.storage.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=80), nullable=False),
        sa.Column("published_through", sa.Integer(), nullable=False),
        sa.Column("published_at", puente.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", puente.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "alias"),
    )
    op.create_index("ix_ticket_publications_ticket_id", "ticket_publications", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_publications_ticket_id", table_name="ticket_publications")
    op.drop_table("ticket_publications")
