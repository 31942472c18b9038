"""web sign-ins: single-use links from chat and the browser sessions they open

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import puente.storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("link_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("link_expires_at", puente.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", puente.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("session_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("session_expires_at", puente.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", puente.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("link_digest"),
        sa.UniqueConstraint("session_digest"),
    )
    with op.batch_alter_table("web_sign_ins") as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sign_ins_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_sign_ins") as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sign_ins_user_id"))
    op.drop_table("web_sign_ins")
