"""Ticket persistence: gap-free references, lookups and listings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, or_, text
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


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """What to find: each field set narrows the search; `text` matches a reference, title or observable."""

    statuses: Sequence[str] | None = None
    owner_id: int | None = None
    severity: str | None = None
    country: str | None = None
    sector: str | None = None
    tlp: str | None = None
    text: str = ""
    # Tickets affecting only this country are not cross-border.
    beyond_country: str | None = None
    # TLP:RED tickets are found only among these (None: all of them).
    red_among: tuple[int | None, frozenset[int]] | None = None


def _holds(column: Any, value: str) -> Any:
    """A JSON list column (as its text) holds the string `value`: vocabulary words and ISO codes need no escaping."""
    return cast(column, String).contains(json.dumps(value), autoescape=True)


def _where(query: TicketQuery) -> list[Any]:
    clauses: list[Any] = []
    if query.statuses is not None:
        clauses.append(col(Ticket.status).in_(query.statuses))
    if query.owner_id is not None:
        clauses.append(Ticket.owner_id == query.owner_id)
    for column, value in ((Ticket.severity, query.severity), (Ticket.tlp, query.tlp)):
        if value is not None:
            clauses.append(column == value)
    if query.country is not None:
        clauses.append(_holds(Ticket.countries, query.country))
    if query.sector is not None:
        clauses.append(_holds(Ticket.sectors, query.sector))
    if query.beyond_country is not None:
        clauses.append(cast(Ticket.countries, String) != json.dumps([query.beyond_country]))
    if query.text.strip():
        text = query.text.strip()
        observed = select(TicketObservable.ticket_id).where(
            col(TicketObservable.value).icontains(text, autoescape=True)
        )
        clauses.append(
            or_(
                col(Ticket.reference).icontains(text, autoescape=True),
                col(Ticket.title).icontains(text, autoescape=True),
                col(Ticket.id).in_(observed),
            )
        )
    if query.red_among is not None:
        owner_id, ids = query.red_among
        clauses.append(or_(col(Ticket.tlp) != "red", col(Ticket.owner_id) == owner_id, col(Ticket.id).in_(ids)))
    return clauses


def search(session: Session, query: TicketQuery, *, limit: int = 50, offset: int = 0) -> tuple[list[Ticket], int]:
    """One page of the tickets found, newest first, and how many were found in all."""
    clauses = _where(query)
    total = session.exec(select(func.count()).select_from(Ticket).where(*clauses)).one()
    statement = select(Ticket).where(*clauses).order_by(col(Ticket.id).desc()).offset(offset).limit(limit)
    return list(session.exec(statement)), int(total)


def countries_found(session: Session, query: TicketQuery) -> list[list[str]]:
    """The countries of each ticket found."""
    return [list(countries) for countries in session.exec(select(Ticket.countries).where(*_where(query)))]


def open_aware_since(session: Session, since: datetime) -> list[Ticket]:
    """Open tickets whose time of awareness is `since` or later, the earliest first."""
    statement = select(Ticket).where(col(Ticket.status).in_(OPEN_STATUSES), col(Ticket.aware_at) >= since)
    return list(session.exec(statement.order_by(col(Ticket.aware_at))))
