"""timeline wording: what an audit event's summary, a delivery's to a peer and the outcome of a page say as a
phrase, so each reader reads the timeline, the deliveries and how a page ended in their own language (the
English text stays the record; an event's digest covers both)

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 11:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A column added, never a table rebuilt: the timeline's guards against UPDATE and DELETE stay in place.
    op.add_column("timeline_events", sa.Column("wording", sa.JSON(), nullable=True))
    op.add_column("peer_outbox", sa.Column("wording", sa.JSON(), nullable=True))
    op.add_column("pages", sa.Column("outcome_wording", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Dropped in place (SQLite 3.35+ can), keeping the guards. Events worded since then no longer verify
    # (`puente audit verify`): their digests covered the wording, which a downgrade takes away.
    op.drop_column("timeline_events", "wording")
    op.drop_column("peer_outbox", "wording")
    op.drop_column("pages", "outcome_wording")
