"""Ticket persistence: gap-free references, lookups and listings."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import String, cast, func, or_, text
from sqlmodel import Session, col, select

from puente.storage import bulk
from puente.storage.models import Ticket, TicketNote, TicketObservable, TicketSequence, TicketStatus

OPEN_STATUSES = tuple(s.value for s in TicketStatus if s not in (TicketStatus.RESOLVED, TicketStatus.CLOSED))
# Values per IN (…) look-up: well under SQLite's limit on bound parameters.
_LOOKUP_CHUNK = 500


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


def our_incident_ids(session: Session, incident_ids: Sequence[str]) -> set[str]:
    """Those of these incident ids that belong to tickets we opened ourselves (no other producer)."""
    found: set[str] = set()
    ordered = sorted(set(incident_ids))
    for start in range(0, len(ordered), 500):
        statement = select(Ticket.incident_id).where(
            col(Ticket.incident_id).in_(ordered[start : start + 500]), col(Ticket.producer).is_(None)
        )
        found.update(session.exec(statement))
    return found


def by_ids(session: Session, ids: set[int]) -> dict[int, Ticket]:
    return {ticket.id or 0: ticket for ticket in session.exec(select(Ticket).where(col(Ticket.id).in_(ids)))}


def similar_references(session: Session, reference: str, limit: int = 3) -> list[str]:
    """References with the same number in any year, to suggest when one is mistyped.

    Looked up by (year, number) through the unique index, one probe per year that has tickets:
    a typo never scans the tickets table.
    """
    digits = reference.rsplit("-", 1)[-1]
    if not digits.isdigit():
        return []
    years = select(TicketSequence.year)
    statement = (
        select(Ticket.reference)
        .where(col(Ticket.year).in_(years), Ticket.number == int(digits))
        .order_by(col(Ticket.year).desc())
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


class ObservableRow(NamedTuple):
    """One observable as plain values: a ticket's 100,000 of them load without ORM overhead."""

    kind: str
    value: str
    added_at: datetime


def observables(
    session: Session, ticket_id: int, limit: int | None = None, kinds: Sequence[str] | None = None
) -> list[ObservableRow]:
    """The ticket's observables in the order they were added (the first `limit` of them, of `kinds`, when given)."""
    columns = (TicketObservable.kind, TicketObservable.value, TicketObservable.added_at)
    statement = select(*columns).where(TicketObservable.ticket_id == ticket_id).order_by(col(TicketObservable.id))
    if kinds is not None:
        statement = statement.where(col(TicketObservable.kind).in_(kinds))
    if limit is not None:
        statement = statement.limit(limit)
    return [ObservableRow(*row) for row in session.execute(statement)]


def add_observables(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert observables (column values as dicts) at once: a paste or an import may bring 100,000."""
    bulk.insert_rows(session, TicketObservable.__table__, rows)  # type: ignore[attr-defined]


def observable_count(session: Session, ticket_id: int) -> int:
    statement = select(func.count()).select_from(TicketObservable).where(TicketObservable.ticket_id == ticket_id)
    return int(session.execute(statement).scalar_one())


def observables_present(
    session: Session, ticket_id: int, candidates: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of the (kind, value) pairs the ticket already has: index look-ups, whatever the ticket's size."""
    has_any = select(TicketObservable.id).where(TicketObservable.ticket_id == ticket_id).limit(1)
    if session.execute(has_any).first() is None:
        return set()  # a ticket just opened: 10,000 imported observables need no look-up
    by_kind: dict[str, list[str]] = {}
    for kind, value in candidates:
        by_kind.setdefault(kind, []).append(value)
    present: set[tuple[str, str]] = set()
    for kind, values in by_kind.items():
        for start in range(0, len(values), _LOOKUP_CHUNK):
            statement = select(TicketObservable.value).where(
                TicketObservable.ticket_id == ticket_id,
                TicketObservable.kind == kind,
                col(TicketObservable.value).in_(values[start : start + _LOOKUP_CHUNK]),
            )
            present.update((kind, value) for value in session.execute(statement).scalars())
    return present


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
        # A ticket imported without countries affects none beyond ours either.
        local = (json.dumps([query.beyond_country]), json.dumps([]))
        clauses.append(cast(Ticket.countries, String).not_in(local))
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


def quiet_since(session: Session, before: datetime, statuses: Sequence[str], limit: int = 1000) -> list[Ticket]:
    """Tickets in `statuses` not updated since `before`, the quietest first."""
    statement = (
        select(Ticket)
        .where(col(Ticket.status).in_(statuses), col(Ticket.updated_at) <= before)
        .order_by(col(Ticket.updated_at))
        .limit(limit)
    )
    return list(session.exec(statement))
