"""assistance messages in order (each side's sequence, messages held until the one before arrives),
regulatory filings, and an index to count the pages one peer raised lately

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import puente.storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.create_index("ix_pages_raised", ["raised_by", "created_at"], unique=False)
    with op.batch_alter_table("assistance_requests") as batch:
        batch.add_column(sa.Column("sent_sequence", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("received_sequence", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "assistance_held_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("note_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("note", sa.JSON(), nullable=False),
        sa.Column("received_at", puente.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["peer_id"], ["peers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("peer_id", "note_id", "version"),
    )
    with op.batch_alter_table("assistance_held_messages") as batch:
        batch.create_index(batch.f("ix_assistance_held_messages_request_id"), ["request_id"], unique=False)
    op.create_table(
        "regulatory_filings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("filed_at", puente.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "stage"),
    )
    with op.batch_alter_table("regulatory_filings") as batch:
        batch.create_index(batch.f("ix_regulatory_filings_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("regulatory_filings") as batch:
        batch.drop_index(batch.f("ix_regulatory_filings_ticket_id"))
    op.drop_table("regulatory_filings")
    with op.batch_alter_table("assistance_held_messages") as batch:
        batch.drop_index(batch.f("ix_assistance_held_messages_request_id"))
    op.drop_table("assistance_held_messages")
    with op.batch_alter_table("assistance_requests") as batch:
        batch.drop_column("received_sequence")
        batch.drop_column("sent_sequence")
    with op.batch_alter_table("pages") as batch:
        batch.drop_index("ix_pages_raised")
