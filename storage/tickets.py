"""Ticket persistence: gap-free references, lookups and listings."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlmodel import Session, col, select

from puente.storage.models import Ticket, TicketNote, TicketObservable, TicketStatus

OPEN_STATUSES = tuple(s.value for s in TicketStatus if s not in (TicketStatus.RESOLVED, TicketStatus.CLOSED))


def next_number(session: Session, year: int) -> int:
    """Take the next number of `year` inside the caller's transaction.

    The upsert locks the year's row until commit, so concurrent creators queue behind it and a
    rolled-back creation gives its number back: references stay unique and gap-free.
    """
    statement = text(
        "INSERT INTO ticket_sequences (year, last_number) VALUES (:year, 1) "
        "ON CONFLICT (year) DO UPDATE SET last_number = ticket_sequences.last_number + 1 "
        "RETURNING last_number"
    )
    return int(session.execute(statement, {"year": year}).scalar_one())


def format_reference(year: int, number: int) -> str:
    return f"INC-{year}-{number:04d}"


def by_reference(session: Session, reference: str) -> Ticket | None:
    return session.exec(select(Ticket).where(Ticket.reference == reference.upper())).first()


def by_incident_id(session: Session, incident_id: str) -> Ticket | None:
    return session.exec(select(Ticket).where(Ticket.incident_id == incident_id)).first()


def by_ids(session: Session, ids: set[int]) -> dict[int, Ticket]:
    return {ticket.id or 0: ticket for ticket in session.exec(select(Ticket).where(col(Ticket.id).in_(ids)))}


def similar_references(session: Session, reference: str, limit: int = 3) -> list[str]:
    """References sharing the number, to suggest when one is mistyped."""
    digits = reference.rsplit("-", 1)[-1].lstrip("0") or "0"
    statement = (
        select(Ticket.reference)
        .where(col(Ticket.reference).like(f"%{digits}"))
        .order_by(col(Ticket.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement))


def listing(
    session: Session,
    *,
    statuses: Sequence[str] | None = None,
    owner_id: int | None = None,
    limit: int = 50,
) -> list[Ticket]:
    statement = select(Ticket)
    if statuses is not None:
        statement = statement.where(col(Ticket.status).in_(statuses))
    if owner_id is not None:
        statement = statement.where(Ticket.owner_id == owner_id)
    return list(session.exec(statement.order_by(col(Ticket.id).desc()).limit(limit)))


def observables(session: Session, ticket_id: int) -> list[TicketObservable]:
    statement = (
        select(TicketObservable).where(TicketObservable.ticket_id == ticket_id).order_by(col(TicketObservable.id))
    )
    return list(session.exec(statement))


def notes(session: Session, ticket_id: int) -> list[TicketNote]:
    statement = select(TicketNote).where(TicketNote.ticket_id == ticket_id).order_by(col(TicketNote.id))
    return list(session.exec(statement))
