"""pending buttons

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-23 16:29:09.111813
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import puente.storage.types


revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pending_buttons',
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('command', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('confirm', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('created_at', puente.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', puente.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token')
    )
    with op.batch_alter_table('pending_buttons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_buttons_expires_at'), ['expires_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pending_buttons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_buttons_expires_at'))

    op.drop_table('pending_buttons')
