"""drop assistance_requests.escalated: written once, never read (the timeline records the escalation)

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-29 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assistance_requests") as batch:
        batch.drop_column("escalated")


def downgrade() -> None:
    with op.batch_alter_table("assistance_requests") as batch:
        batch.add_column(sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false()))
