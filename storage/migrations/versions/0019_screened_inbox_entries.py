"""TAXII entries say which build's door screened them, so the inbox validates again only what an older
door let in; an index finds which object holds a key in a ticket; peer_ingested loses an index its
unique key already provides

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries stored before have no stamp: the inbox validates them again, as an older door's.
    with op.batch_alter_table("taxii_entries") as batch:
        batch.add_column(sa.Column("screened_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    with op.batch_alter_table("stix_objects") as batch:
        batch.create_index("ix_stix_objects_ticket_key", ["ticket_id", "ticket_key"], unique=False)
    with op.batch_alter_table("peer_ingested") as batch:
        batch.drop_index("ix_peer_ingested_peer_id")


def downgrade() -> None:
    with op.batch_alter_table("peer_ingested") as batch:
        batch.create_index("ix_peer_ingested_peer_id", ["peer_id"], unique=False)
    with op.batch_alter_table("stix_objects") as batch:
        batch.drop_index("ix_stix_objects_ticket_key")
    with op.batch_alter_table("taxii_entries") as batch:
        batch.drop_column("screened_by")
