"""What each peer sent that was taken in: the object versions already ingested (so ingesting twice changes
nothing), and the objects set aside with the reason they could not be applied.

Only ingestion and the operator's look at what is held use these tables: a command that shows a ticket never
maps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint, delete
from sqlmodel import Field, Session, col, select

from puente.storage import bulk
from puente.storage.types import Table, utc_field

# Ids per IN (…) look-up: well under SQLite's limit on bound parameters.
_LOOKUP_CHUNK = 500


class IngestedObject(Table, table=True):
    """One object version received from a peer; the unique key makes a second arrival a no-op."""

    __tablename__ = "peer_ingested"
    # The unique index also serves every look-up by peer: no index of its own to keep up per row.
    __table_args__ = (UniqueConstraint("peer_id", "stix_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    peer_id: int = Field(foreign_key="peers.id")
    stix_id: str = Field(max_length=128)
    version: str = Field(max_length=40)
    received_at: datetime = utc_field(nullable=False)


class HeldObject(Table, table=True):
    """An object a peer sent that was taken in but could not be applied, set aside with the reason.

    Ingestion moves past it; an operator retries it (once the cause is fixed) or discards it.
    `content` is the object's JSON as received.
    """

    __tablename__ = "peer_held_objects"

    id: int | None = Field(default=None, primary_key=True)
    peer_id: int = Field(foreign_key="peers.id", index=True)
    stix_id: str = Field(max_length=128)
    version: str = Field(max_length=40)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    attempts: int = 1
    held_at: datetime = utc_field(nullable=False)


def seen(session: Session, peer_id: int, versions: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (stix_id, version) pairs were already taken in from the peer: one look-up per
    500 objects, not one per object."""
    by_id: dict[str, set[str]] = {}
    for stix_id, version in versions:
        by_id.setdefault(stix_id, set()).add(version)
    ids = sorted(by_id)
    found: set[tuple[str, str]] = set()
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        statement = select(IngestedObject.stix_id, IngestedObject.version).where(
            IngestedObject.peer_id == peer_id, col(IngestedObject.stix_id).in_(ids[start : start + _LOOKUP_CHUNK])
        )
        found.update((stix_id, version) for stix_id, version in session.execute(statement) if version in by_id[stix_id])
    return found


def mark_ingested(session: Session, peer_id: int, versions: list[tuple[str, str]], at: datetime) -> None:
    """Record these (stix_id, version) pairs as taken in from the peer, in one insert."""
    rows = [
        {"peer_id": peer_id, "stix_id": stix_id, "version": version, "received_at": at} for stix_id, version in versions
    ]
    bulk.insert_rows(session, IngestedObject.__table__, rows, order_by="stix_id")  # type: ignore[attr-defined]


def held(session: Session, peer_id: int) -> list[HeldObject]:
    """What is set aside from a peer, oldest first."""
    return list(session.exec(select(HeldObject).where(HeldObject.peer_id == peer_id).order_by(col(HeldObject.id))))


def forget(session: Session, peer_id: int) -> None:
    """Drop what was received from a peer that is being removed."""
    session.execute(delete(IngestedObject).where(col(IngestedObject.peer_id) == peer_id))
    session.execute(delete(HeldObject).where(col(HeldObject.peer_id) == peer_id))
