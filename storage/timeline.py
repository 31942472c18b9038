"""The append-only audit timeline: rows are added, never updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from puente.storage.models import TimelineEvent


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    ticket_id: int | None = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> TimelineEvent:
    event = TimelineEvent(
        ticket_id=ticket_id, at=at, actor=actor, action=action, summary=summary, before=before, after=after
    )
    session.add(event)
    return event


def record_many(session: Session, events: list[dict[str, Any]]) -> None:
    """Append many events in one statement; each dict has the keyword arguments of `record`."""
    if events:
        session.execute(insert(TimelineEvent), [{"before": None, "after": None, **event} for event in events])


def for_ticket(session: Session, ticket_id: int) -> list[TimelineEvent]:
    statement = select(TimelineEvent).where(TimelineEvent.ticket_id == ticket_id).order_by(col(TimelineEvent.id))
    return list(session.exec(statement))
