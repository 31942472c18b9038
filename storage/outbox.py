"""The durable outbox: STIX envelopes waiting to be pushed into a peer's TAXII collection.

A row is taken by moving its `next_try_at` past a lease; a process that dies after taking a row
therefore leaves it to be taken again once the lease runs out. Rows about one ticket reach a peer in
the order they were queued (a CANCEL never overtakes its RFA), whatever each one's retries. Pushing
the same objects again is harmless: a TAXII server treats the same id and `modified` as the same version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, and_, exists, func, or_
from sqlalchemy.orm import aliased, defer
from sqlmodel import Field, Session, col, select

from puente.storage.types import Table, utc_field


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class OutboxMessage(Table, table=True):
    __tablename__ = "peer_outbox"

    id: int | None = Field(default=None, primary_key=True)
    peer_id: int = Field(foreign_key="peers.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    summary: str = Field(default="", max_length=200)  # in English
    # What the summary says as a phrase (i18n.stored), read by each reader in their own language.
    wording: Any = Field(default=None, sa_column=Column(JSON))
    objects: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: str = Field(default=DeliveryState.PENDING.value, max_length=16, index=True)
    attempts: int = 0
    next_try_at: datetime | None = utc_field(nullable=True, index=True)
    last_error: str = ""
    created_at: datetime = utc_field(nullable=False)
    delivered_at: datetime | None = utc_field(nullable=True)


def _first_in_line() -> ColumnElement[bool]:
    """Messages to one peer about one ticket (a request's messages, versions of its objects) go in the
    order they were queued: a row waits while an earlier one of its line is still pending, whatever
    their retry times. Rows with no ticket form one line per peer."""
    earlier = aliased(OutboxMessage)
    same_line = or_(
        col(earlier.ticket_id) == col(OutboxMessage.ticket_id),
        and_(col(earlier.ticket_id).is_(None), col(OutboxMessage.ticket_id).is_(None)),
    )
    return ~exists().where(
        col(earlier.peer_id) == col(OutboxMessage.peer_id),
        col(earlier.state) == DeliveryState.PENDING.value,
        col(earlier.id) < col(OutboxMessage.id),
        same_line,
    )


def take_due(session: Session, now: datetime, lease: timedelta, limit: int = 20) -> list[OutboxMessage]:
    """Claim the due rows first in their line for `lease`; other workers skip rows locked by a concurrent taker."""
    statement = (
        select(OutboxMessage)
        .where(
            OutboxMessage.state == DeliveryState.PENDING.value,
            col(OutboxMessage.next_try_at) <= now,
            _first_in_line(),
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.exec(statement))
    for row in rows:
        row.next_try_at = now + lease
        row.attempts += 1
        session.add(row)
    return rows


def next_due(session: Session) -> datetime | None:
    """When the next row that may go is due (a row waiting behind another in its line is not)."""
    statement = select(OutboxMessage.next_try_at).where(
        OutboxMessage.state == DeliveryState.PENDING.value, _first_in_line()
    )
    return session.exec(statement.order_by(col(OutboxMessage.next_try_at)).limit(1)).first()


def of_ticket(session: Session, ticket_id: int, latest: int) -> tuple[list[OutboxMessage], int]:
    """The ticket's `latest` messages, oldest first, without their payloads, and how many came before them.

    A payload can hold a whole ticket's objects: reading how deliveries went must not load them.
    """
    mine = OutboxMessage.ticket_id == ticket_id
    statement = (
        select(OutboxMessage)
        .where(mine)
        .options(defer(OutboxMessage.objects))  # type: ignore[arg-type]
        .order_by(col(OutboxMessage.id).desc())
        .limit(latest)
    )
    rows = list(session.exec(statement))[::-1]
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(mine)).one()
    return rows, total - len(rows)


def delivered_of_ticket(session: Session, ticket_id: int) -> list[OutboxMessage]:
    """The ticket's messages that reached their peer, with their payloads, oldest first."""
    statement = select(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket_id, OutboxMessage.state == DeliveryState.DELIVERED.value
    )
    return list(session.exec(statement.order_by(col(OutboxMessage.id))))


def undelivered_to(session: Session, peer_id: int) -> list[OutboxMessage]:
    """What was queued for the peer and has not reached it (pending, or failed for good)."""
    statement = select(OutboxMessage).where(
        OutboxMessage.peer_id == peer_id, OutboxMessage.state != DeliveryState.DELIVERED.value
    )
    return list(session.exec(statement.order_by(col(OutboxMessage.id))))
