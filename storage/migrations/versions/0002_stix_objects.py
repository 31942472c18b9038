"""stix objects

Revision ID: 0002
Revises: 0007
Create Date: 2026-11-23 16:43:03.813109
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import puente.storage.types


revision = '0002'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stix_objects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('stix_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('stix_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('modified', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('created_by_ref', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('producer', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('ticket_key', sqlmodel.sql.sqltypes.AutoString(length=2200), nullable=True),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('stored_at', puente.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_id', 'stix_id', 'version')
    )
    with op.batch_alter_table('stix_objects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stix_objects_stix_id'), ['stix_id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('producer', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('producer')

    with op.batch_alter_table('stix_objects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stix_objects_stix_id'))

    op.drop_table('stix_objects')
