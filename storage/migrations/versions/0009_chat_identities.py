"""chat identities: one row per (platform, address) instead of a column per platform

users.slack_id and users.telegram_id move into chat_identities; page_deliveries keeps the one
address on its own platform instead of both ids; a channel step snapshotted in pages.steps keeps
its addresses by platform ({"addresses": {"slack": …}}) instead of "slack" and "telegram" keys.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The platforms that had a column of their own.
PLATFORM_COLUMNS = (("slack", "slack_id"), ("telegram", "telegram_id"))

users = sa.table("users", sa.column("id", sa.Integer), sa.column("slack_id"), sa.column("telegram_id"))
chat_identities = sa.table(
    "chat_identities", sa.column("user_id", sa.Integer), sa.column("platform"), sa.column("address")
)
page_deliveries = sa.table(
    "page_deliveries", sa.column("platform"), sa.column("address"), sa.column("slack_id"), sa.column("telegram_id")
)
pages = sa.table("pages", sa.column("id", sa.Integer), sa.column("steps", sa.JSON))


def upgrade() -> None:
    op.create_table(
        "chat_identities",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id", "platform"),
        sa.UniqueConstraint("platform", "address", name="uq_chat_identities_platform_address"),
    )
    for platform, column in PLATFORM_COLUMNS:
        held = sa.select(users.c.id, sa.literal(platform), users.c[column]).where(users.c[column].is_not(None))
        op.execute(chat_identities.insert().from_select(["user_id", "platform", "address"], held))
    with op.batch_alter_table("users") as batch:
        batch.drop_column("slack_id")
        batch.drop_column("telegram_id")

    with op.batch_alter_table("page_deliveries") as batch:
        batch.add_column(sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
    for platform, column in PLATFORM_COLUMNS:
        op.execute(
            page_deliveries.update()
            .where(page_deliveries.c.platform == platform)
            .values(address=page_deliveries.c[column])
        )
    with op.batch_alter_table("page_deliveries") as batch:
        batch.drop_column("slack_id")
        batch.drop_column("telegram_id")

    _rewrite_channel_steps(_addresses_by_platform)


def downgrade() -> None:
    with op.batch_alter_table("page_deliveries") as batch:
        batch.add_column(sa.Column("slack_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column("telegram_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    for platform, column in PLATFORM_COLUMNS:
        op.execute(
            page_deliveries.update()
            .where(page_deliveries.c.platform == platform)
            .values({column: page_deliveries.c.address})
        )
    with op.batch_alter_table("page_deliveries") as batch:
        batch.drop_column("address")

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("slack_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column("telegram_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.create_unique_constraint("users_slack_id_key", ["slack_id"])
        batch.create_unique_constraint("users_telegram_id_key", ["telegram_id"])
    for platform, column in PLATFORM_COLUMNS:
        held = (
            sa.select(chat_identities.c.address)
            .where(chat_identities.c.user_id == users.c.id, chat_identities.c.platform == platform)
            .scalar_subquery()
        )
        op.execute(users.update().values({column: held}))
    op.drop_table("chat_identities")

    _rewrite_channel_steps(_addresses_as_keys)


def _addresses_by_platform(step: dict[str, Any]) -> dict[str, Any]:
    addresses = {platform: step.pop(platform) for platform, _ in PLATFORM_COLUMNS if platform in step}
    return step | {"addresses": {platform: address for platform, address in addresses.items() if address}}


def _addresses_as_keys(step: dict[str, Any]) -> dict[str, Any]:
    addresses = step.pop("addresses", {})
    return step | {platform: addresses.get(platform) for platform, _ in PLATFORM_COLUMNS}


def _rewrite_channel_steps(rewrite: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Pages keep a snapshot of their policy's steps; those that page a channel hold its addresses."""
    connection = op.get_bind()
    for page_id, steps in connection.execute(sa.select(pages.c.id, pages.c.steps)):
        if any(step.get("target") == "channel" for step in steps):
            rewritten = [rewrite(dict(step)) if step.get("target") == "channel" else step for step in steps]
            connection.execute(pages.update().where(pages.c.id == page_id).values(steps=rewritten))
