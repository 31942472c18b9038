"""Tickets published in our TAXII collections (`/incident publish`), so that their later versions follow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint, select
from sqlmodel import Field, Session, col

from puente.storage.models import Ticket
from puente.storage.types import Table, utc_field


class TicketPublication(Table, table=True):
    """A ticket published in a collection (`/incident publish`): its later versions follow it there.
    `published_through` is the last of the ticket's stored object versions put in the collection."""

    __tablename__ = "ticket_publications"
    __table_args__ = (UniqueConstraint("ticket_id", "alias"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    alias: str = Field(max_length=80)
    published_through: int = 0
    published_at: datetime = utc_field(nullable=False)
    # The ticket as last published: a later change moves the ticket past it.
    synced_at: datetime = utc_field(nullable=False)


def publications_of(session: Session, ticket_id: int) -> list[TicketPublication]:
    statement = select(TicketPublication).where(col(TicketPublication.ticket_id) == ticket_id)
    return list(session.scalars(statement.order_by(col(TicketPublication.id))))


def publications_behind(session: Session) -> list[TicketPublication]:
    """Publications whose ticket changed since it was last published."""
    statement = (
        select(TicketPublication)
        .join(Ticket, col(Ticket.id) == col(TicketPublication.ticket_id))
        .where(col(Ticket.updated_at) > col(TicketPublication.synced_at))
        .order_by(col(TicketPublication.ticket_id), col(TicketPublication.id))
    )
    return list(session.scalars(statement))
