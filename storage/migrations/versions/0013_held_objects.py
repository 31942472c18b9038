"""held objects: what a peer sent that could not be applied, set aside with the reason; entries by id

taxii_entries gets an index on stix_id alone: the TAXII door asks who first created an id, in any
collection, for every batch it stores.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import puente.storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peer_held_objects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("stix_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("held_at", puente.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["peer_id"], ["peers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("peer_held_objects") as batch:
        batch.create_index(batch.f("ix_peer_held_objects_peer_id"), ["peer_id"], unique=False)
    op.create_index("ix_taxii_entries_stix_id", "taxii_entries", ["stix_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_taxii_entries_stix_id", table_name="taxii_entries")
    with op.batch_alter_table("peer_held_objects") as batch:
        batch.drop_index(batch.f("ix_peer_held_objects_peer_id"))
    op.drop_table("peer_held_objects")
