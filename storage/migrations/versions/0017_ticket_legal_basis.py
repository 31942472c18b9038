"""ticket legal basis: the ground on which a ticket's personal data may be shared (e.g. LGPD art. 7 IX)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("legal_basis", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("legal_basis")
