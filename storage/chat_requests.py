"""Requests chat platforms delivered, remembered while the platform may deliver them again, so that a
re-sent Telegram update or a retried or replayed Slack request is not run a second time."""

from __future__ import annotations

import importlib
from datetime import datetime

from sqlalchemy import delete, tuple_
from sqlmodel import Field, Session, col, select

from puente.storage.types import Table, utc_field


class ChatRequest(Table, table=True):
    """One delivery: its platform and the key the platform gives it (a Telegram update id, a Slack
    event id or the digest of a signed request)."""

    __tablename__ = "chat_requests"

    platform: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=128)
    received_at: datetime = utc_field(nullable=False, index=True)


def first_arrival(session: Session, platform: str, key: str, now: datetime) -> bool:
    """Remember the request; False when it was remembered already (by this or another replica).

    On PostgreSQL a concurrent arrival of the same request waits for the first one's transaction:
    if that commits this one is a repeat, if it rolls back this one runs.
    """
    values = {"platform": platform, "key": key, "received_at": now}
    # The dialect's own insert, imported for the database in use: on SQLite, the PostgreSQL dialect is never loaded.
    dialect = session.get_bind().dialect.name
    dialect_insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
    insert = dialect_insert(ChatRequest)
    added = session.execute(insert.values(**values).on_conflict_do_nothing().returning(col(ChatRequest.key)))
    return added.first() is not None


def forget_before(session: Session, before: datetime, limit: int = 500) -> None:
    """Requests no platform re-sends any more need not be remembered. Rows another transaction is
    already forgetting are skipped, so concurrent commands on PostgreSQL never wait on each other here."""
    doomed = (
        select(ChatRequest.platform, ChatRequest.key)
        .where(col(ChatRequest.received_at) < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    pair = tuple_(col(ChatRequest.platform), col(ChatRequest.key))
    session.execute(delete(ChatRequest).where(pair.in_(doomed)))
