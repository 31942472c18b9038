"""secrets and timeline chain: room for sealed peer secrets; each timeline event chained to the one
before it, and the timeline append-only in the database itself

Peer passwords and keys become long enough to hold their encrypted form (they are encrypted by
`puente db upgrade` once PUENTE_SECRET_KEY is set). Existing timeline events are chained in the
order they were written; from now on the database refuses to update or delete any.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
import sqlmodel
from alembic import op

from puente.storage.timeline import GENESIS, digest_of

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit timeline is append-only"

events = sa.table(
    "timeline_events",
    sa.column("id", sa.Integer),
    sa.column("ticket_id", sa.Integer),
    sa.column("at", sa.DateTime),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("summary", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
    sa.column("previous_digest", sa.String),
    sa.column("digest", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        batch.alter_column("password", type_=sqlmodel.sql.sqltypes.AutoString(), existing_nullable=True)
        batch.alter_column("api_key", type_=sqlmodel.sql.sqltypes.AutoString(), existing_nullable=True)
    with op.batch_alter_table("timeline_events") as batch:
        batch.add_column(
            sa.Column("previous_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
    _chain_existing_events()
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER timeline_append_only BEFORE UPDATE OR DELETE ON timeline_events"
            " FOR EACH ROW EXECUTE FUNCTION timeline_append_only()"
        )
    else:
        for change in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER timeline_append_only_{change.lower()} BEFORE {change} ON timeline_events"
                f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def _chain_existing_events() -> None:
    connection = op.get_bind()
    last: dict[int | None, str] = {}
    rows = connection.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    for row in rows:
        values = dict(row)
        if values["at"].tzinfo is None:  # SQLite hands back naive UTC
            values["at"] = values["at"].replace(tzinfo=UTC)
        previous = last.get(row["ticket_id"], GENESIS)
        last[row["ticket_id"]] = digest = digest_of(previous, values)
        connection.execute(
            events.update().where(events.c.id == row["id"]).values(previous_digest=previous, digest=digest)
        )


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("DROP TRIGGER timeline_append_only ON timeline_events")
        op.execute("DROP FUNCTION timeline_append_only()")
    else:
        for change in ("update", "delete"):
            op.execute(f"DROP TRIGGER timeline_append_only_{change}")
    with op.batch_alter_table("timeline_events") as batch:
        batch.drop_column("digest")
        batch.drop_column("previous_digest")
    with op.batch_alter_table("peers") as batch:
        batch.alter_column("api_key", type_=sqlmodel.sql.sqltypes.AutoString(length=256), existing_nullable=True)
        batch.alter_column("password", type_=sqlmodel.sql.sqltypes.AutoString(length=256), existing_nullable=True)
