"""Pages and their deliveries: the durable state of every escalation chain.

A page is a row with the time its next step fires; firing a step writes one delivery row per
recipient and platform in the same transaction that advances the page, so a step is fired once
whatever happens to the process afterwards. Deliveries are an outbox: a worker leases due rows,
sends them, and records the platform's handle (to edit the message on acknowledgement).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, insert, update
from sqlmodel import Field, Session, col, func, select

from puente.storage.types import Table, utc_field


class PageStatus(StrEnum):
    ACTIVE = "active"  # steps still to fire
    EXHAUSTED = "exhausted"  # every step fired, nobody acknowledged yet
    ACKNOWLEDGED = "acknowledged"
    CANCELLED = "cancelled"
    NOTIFIED = "notified"  # a notice's one step fired: nothing to acknowledge


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    # The platform did not answer in time: maybe delivered. Never sent again blindly (it would page twice):
    # the worker looks for it where the platform can, and elsewhere sends it once more, marked as a possible repeat.
    UNCONFIRMED = "unconfirmed"
    # Still unconfirmed when nothing more can be done (the repeat went unanswered too): counted as reached.
    UNKNOWN = "unknown"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DeliveryPurpose(StrEnum):
    PAGE = "page"  # a step of the chain
    UPDATE = "update"  # edit a delivered page in place (acknowledged, cancelled)


OPEN_PAGE_STATUSES = (PageStatus.ACTIVE.value, PageStatus.EXHAUSTED.value)
# Deliveries the worker still has to send (or, for an unconfirmed one, to check).
OUTSTANDING = (DeliveryStatus.PENDING.value, DeliveryStatus.UNCONFIRMED.value)


class Page(Table, table=True):
    __tablename__ = "pages"
    # ix_pages_raised: how many pages one peer raised lately (services/escalation/peer_pages.py).
    __table_args__ = (
        Index("ix_pages_due", "status", "next_fire_at"),
        Index("ix_pages_raised", "raised_by", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    # severity | escalate | assistance | missed-ack | peer-escalated | deadline | stale | notice
    kind: str = Field(max_length=32)
    # Distinguishes pages a ticket may only have once (e.g. "deadline:72h").
    key: str | None = Field(default=None, max_length=64)
    policy: str = Field(max_length=32)
    summary: str = ""  # in English, as the timeline records it
    # What it says as a phrase (i18n.Phrase.stored()), read by each recipient in their own language.
    wording: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The policy's steps as they were when the page was raised, so a restart never changes a running chain.
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    repeat: int = 1
    next_step: int = 0  # index into steps repeated `repeat` times
    next_fire_at: datetime | None = utc_field(nullable=True)
    status: str = Field(default=PageStatus.ACTIVE.value, max_length=16)
    raised_by: str = Field(max_length=128)
    created_at: datetime = utc_field(nullable=False)
    acknowledged_by: str | None = Field(default=None, max_length=128)
    # What the recipients are told when the chain stops ("taken by ana at 14:02 UTC").
    outcome: str | None = None  # in English, as the timeline records it
    # How it ended as a phrase (i18n.stored), read by each recipient of its update in their own language.
    outcome_wording: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    finished_at: datetime | None = utc_field(nullable=True)

    @property
    def total_steps(self) -> int:
        return len(self.steps) * self.repeat

    @property
    def reference(self) -> str:
        return f"P{self.id}"


class PageDelivery(Table, table=True):
    __tablename__ = "page_deliveries"
    __table_args__ = (Index("ix_page_deliveries_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    page_id: int = Field(foreign_key="pages.id", index=True)
    step: int
    purpose: str = Field(default=DeliveryPurpose.PAGE.value, max_length=16)
    platform: str = Field(max_length=16)
    recipient: str = Field(max_length=128)
    # The recipient's address on `platform` when the step fired (none where the name is enough, e.g. the console).
    address: str | None = Field(default=None, max_length=255)
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16)
    # When to (re)try; while a worker holds the row it is pushed ahead by the lease.
    due_at: datetime = utc_field(nullable=False)
    # When the step this delivery belongs to was due: what lateness is measured against.
    fire_due_at: datetime = utc_field(nullable=False)
    attempts: int = 0
    handle: str | None = Field(default=None, max_length=256)
    error: str | None = None
    sent_at: datetime | None = utc_field(nullable=True)


def claim_due_pages(session: Session, now: datetime, limit: int) -> list[Page]:
    """Lock due pages for this transaction; other workers skip them (SQLite serialises writers instead)."""
    statement = (
        select(Page)
        .where(Page.status == PageStatus.ACTIVE.value, col(Page.next_fire_at) <= now)
        .order_by(col(Page.next_fire_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(statement))


def due_deliveries(session: Session, now: datetime, limit: int) -> list[PageDelivery]:
    """Deliveries due now, the most overdue first; read only: claim_delivery takes each."""
    statement = (
        select(PageDelivery)
        .where(col(PageDelivery.status).in_(OUTSTANDING), col(PageDelivery.due_at) <= now)
        .order_by(col(PageDelivery.due_at), col(PageDelivery.id))
        .limit(limit)
    )
    return list(session.exec(statement))


def claim_delivery(session: Session, delivery_id: int, now: datetime, lease_until: datetime) -> bool:
    """Take one due delivery until `lease_until`, counting the attempt; False if it is no longer due (another
    worker took it, or its page was stopped). One conditional UPDATE, so two workers never both win."""
    statement = (
        update(PageDelivery)
        .where(
            col(PageDelivery.id) == delivery_id,
            col(PageDelivery.status).in_(OUTSTANDING),
            col(PageDelivery.due_at) <= now,
        )
        .values(attempts=col(PageDelivery.attempts) + 1, due_at=lease_until)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]


def mark_reached(
    session: Session, delivery_id: int, status: DeliveryStatus, handle: str | None, now: datetime, note: str | None
) -> bool:
    """Record a send that reached (or may have reached) its recipient; False if the delivery is no longer
    outstanding (its page was stopped while it was on its way: the caller updates the message)."""
    statement = (
        update(PageDelivery)
        .where(col(PageDelivery.id) == delivery_id, col(PageDelivery.status).in_(OUTSTANDING))
        .values(status=status.value, handle=handle, sent_at=now, error=note)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]


def next_due(session: Session) -> datetime | None:
    """The earliest moment anything is due: a page step or a delivery attempt."""
    page = session.exec(
        select(Page.next_fire_at)
        .where(Page.status == PageStatus.ACTIVE.value, col(Page.next_fire_at).is_not(None))
        .order_by(col(Page.next_fire_at))
        .limit(1)
    ).first()
    delivery = session.exec(
        select(PageDelivery.due_at)
        .where(col(PageDelivery.status).in_(OUTSTANDING))
        .order_by(col(PageDelivery.due_at))
        .limit(1)
    ).first()
    moments = [m for m in (page, delivery) if m is not None]
    return min(moments) if moments else None


def open_pages(session: Session, *, ticket_id: int | None = None, page_id: int | None = None) -> list[Page]:
    statement = select(Page).where(col(Page.status).in_(OPEN_PAGE_STATUSES))
    if ticket_id is not None:
        statement = statement.where(Page.ticket_id == ticket_id)
    if page_id is not None:
        statement = statement.where(Page.id == page_id)
    return list(session.exec(statement.order_by(col(Page.id)).with_for_update()))


def open_pages_reaching(session: Session, recipient: str) -> list[Page]:
    """Open pages that have paged `recipient` (or are about to)."""
    reached = select(PageDelivery.page_id).where(
        PageDelivery.recipient == recipient, PageDelivery.purpose == DeliveryPurpose.PAGE.value
    )
    statement = select(Page).where(col(Page.status).in_(OPEN_PAGE_STATUSES), col(Page.id).in_(reached))
    return list(session.exec(statement.order_by(col(Page.id)).with_for_update()))


def raised_since(session: Session, kind: str, raised_by: str, since: datetime) -> int:
    """How many pages of `kind` `raised_by` raised from `since` on (a peer's pace)."""
    statement = select(func.count()).where(
        Page.kind == kind, Page.raised_by == raised_by, col(Page.created_at) >= since
    )
    return int(session.exec(statement).one())


def gathering(session: Session, key: str) -> Page | None:
    """The page with this key whose first step has not fired yet, if any (others may still join it)."""
    statement = select(Page).where(Page.key == key, Page.status == PageStatus.ACTIVE.value, Page.next_step == 0)
    return session.exec(statement.order_by(col(Page.id)).limit(1).with_for_update()).first()


def keys_of(session: Session, kind: str, ticket_ids: Sequence[int]) -> set[tuple[int | None, str | None]]:
    """(ticket, key) of every page of `kind` raised for these tickets."""
    statement = select(Page.ticket_id, Page.key).where(Page.kind == kind, col(Page.ticket_id).in_(ticket_ids))
    return {(ticket_id, key) for ticket_id, key in session.exec(statement)}


def pages_of_ticket(session: Session, ticket_id: int, kinds: Sequence[str] | None = None) -> list[Page]:
    statement = select(Page).where(Page.ticket_id == ticket_id)
    if kinds is not None:
        statement = statement.where(col(Page.kind).in_(kinds))
    return list(session.exec(statement.order_by(col(Page.id))))


def deliveries(
    session: Session, page_id: int, *, step: int | None = None, purpose: str | None = None
) -> list[PageDelivery]:
    statement = select(PageDelivery).where(PageDelivery.page_id == page_id)
    if step is not None:
        statement = statement.where(PageDelivery.step == step)
    if purpose is not None:
        statement = statement.where(PageDelivery.purpose == purpose)
    return list(session.exec(statement.order_by(col(PageDelivery.id))))


def pages_by_id(session: Session, ids: set[int]) -> dict[int, Page]:
    return {page.id or 0: page for page in session.exec(select(Page).where(col(Page.id).in_(ids)))}


def deliveries_by_id(session: Session, ids: set[int]) -> dict[int, PageDelivery]:
    statement = select(PageDelivery).where(col(PageDelivery.id).in_(ids))
    return {delivery.id or 0: delivery for delivery in session.exec(statement)}


def add_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many deliveries in one statement (a batch of fired steps)."""
    if rows:
        session.execute(insert(PageDelivery), rows)


def tickets_paging(session: Session, recipient: str) -> set[int]:
    """The tickets whose pages have reached `recipient` (or are about to), open or not."""
    statement = (
        select(Page.ticket_id)
        .join(PageDelivery, col(PageDelivery.page_id) == col(Page.id))
        .where(PageDelivery.recipient == recipient, PageDelivery.purpose == DeliveryPurpose.PAGE.value)
        .distinct()
    )
    return {ticket_id for ticket_id in session.exec(statement) if ticket_id is not None}
