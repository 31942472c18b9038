"""The append-only audit timeline: rows are added, never updated or deleted (the database refuses
both, see migration 0012), and each event carries a digest chained to the previous event of its
ticket (events of no ticket form one chain of their own), so that a change made behind the
database's back, or an event taken out, shows when the chain is checked (`puente audit verify`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as orm_events
from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from puente.storage.models import TimelineEvent

# What the first event of a chain follows.
GENESIS = "0" * 64
# The space of PostgreSQL advisory locks that keep each chain in one line (the other key is the ticket id).
_CHAIN_LOCKS = 0x7E1E


def digest_of(previous: str, event: TimelineEvent | dict[str, Any]) -> str:
    """The digest of an event following `previous`: SHA-256 over everything the event says."""
    values = event if isinstance(event, dict) else event.model_dump()
    at: datetime = values["at"]
    content = [
        previous,
        values.get("ticket_id"),
        at.astimezone(UTC).isoformat(),
        values["actor"],
        values["action"],
        values.get("summary") or "",
        values.get("before"),
        values.get("after"),
    ]
    # Covered when there is one; events recorded before timelines were worded keep the digests they have.
    if values.get("wording") is not None:
        content.append(values["wording"])
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# The chains this transaction holds, and the digest each ends with: its next event needs neither the
# lock nor the query again. Forgotten when the transaction (or a savepoint in it) ends.
_HEADS = "puente.timeline.heads"


@orm_events.listens_for(Session, "after_commit")
@orm_events.listens_for(Session, "after_soft_rollback")
def _forget_heads(session: Session, *_: Any) -> None:
    session.info.pop(_HEADS, None)


def _last_digest(session: Session, ticket_id: int | None) -> str:
    """The digest the next event of the chain follows; on PostgreSQL the chain is held for this
    transaction first, so concurrent writers append one after the other (SQLite has one writer)."""
    heads: dict[int | None, str] = session.info.setdefault(_HEADS, {})
    if ticket_id in heads:
        return heads[ticket_id]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :chain)"), {"space": _CHAIN_LOCKS, "chain": ticket_id or 0}
        )
    chain = col(TimelineEvent.ticket_id).is_(None) if ticket_id is None else TimelineEvent.ticket_id == ticket_id
    statement = select(TimelineEvent.digest).where(chain).order_by(col(TimelineEvent.id).desc()).limit(1)
    return session.exec(statement).first() or GENESIS


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    ticket_id: int | None = None,
    summary: str = "",
    wording: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> TimelineEvent:
    event = TimelineEvent(
        ticket_id=ticket_id,
        at=at,
        actor=actor,
        action=action,
        summary=summary,
        wording=wording,
        before=before,
        after=after,
    )
    event.previous_digest = _last_digest(session, ticket_id)
    event.digest = session.info[_HEADS][ticket_id] = digest_of(event.previous_digest, event)
    session.add(event)
    session.flush()  # written now, so event ids follow the chain's order even where autoflush is off
    return event


def record_many(session: Session, events: list[dict[str, Any]]) -> None:
    """Append many events in one statement; each dict has the keyword arguments of `record`.
    Chains are taken in the order of their tickets, so two such batches never wait on each other crosswise."""
    rows = []
    for given in sorted(events, key=lambda e: e.get("ticket_id") or 0):
        row = {"before": None, "after": None, "summary": "", "wording": None, "ticket_id": None, **given}
        row["previous_digest"] = _last_digest(session, row["ticket_id"])
        row["digest"] = session.info[_HEADS][row["ticket_id"]] = digest_of(row["previous_digest"], row)
        rows.append(row)
    if rows:
        session.execute(insert(TimelineEvent), rows)


def for_ticket(session: Session, ticket_id: int) -> list[TimelineEvent]:
    """The ticket's events in the order they happened."""
    statement = (
        select(TimelineEvent)
        .where(TimelineEvent.ticket_id == ticket_id)
        .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
    )
    return list(session.exec(statement))


@dataclass(frozen=True)
class Break:
    """The first event where a chain does not hold, and why."""

    event: TimelineEvent
    reason: str


def first_break(session: Session) -> tuple[int, Break | None]:
    """Walk every chain in the order events were written: how many events were checked, and the first
    event that does not hold (None when all do)."""
    last: dict[int | None, TimelineEvent] = {}
    checked = 0
    for event in _in_written_order(session):
        checked += 1
        before = last.get(event.ticket_id)
        follows = before.digest if before is not None else GENESIS
        if event.previous_digest != follows:
            after = f"event #{before.id}" if before is not None else "the start of its chain"
            return checked, Break(event, f"it does not follow {after}: an event between them was removed, or rewritten")
        if event.digest != digest_of(follows, event):
            return checked, Break(event, "what it says was changed after it was written")
        last[event.ticket_id] = event
    return checked, None


def _in_written_order(session: Session) -> Iterator[TimelineEvent]:
    statement = select(TimelineEvent).order_by(col(TimelineEvent.id)).execution_options(yield_per=1000)
    yield from session.exec(statement)
