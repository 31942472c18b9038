"""Stored STIX object versions: every version Puente emitted or received, never overwritten.

A row is one version of one object as it belongs to one ticket (an SCO shared by two tickets
has rows under each). `content` is the serialized object, so serving it never re-serializes;
`digest` fingerprints our own objects without `created`/`modified`, so an unchanged object is
recognised without parsing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Column, Index, Text, UniqueConstraint, func
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, col, select

from puente.storage import bulk
from puente.storage.types import Table, UTCDateTime


class StixObjectVersion(Table, table=True):
    __tablename__ = "stix_objects"
    # The unique index also serves lookups by ticket and by (ticket, object); the other finds which object
    # holds a key in a ticket, so a batch of a peer's envelope reads no more than it names.
    __table_args__ = (
        UniqueConstraint("ticket_id", "stix_id", "version"),
        Index("ix_stix_objects_ticket_key", "ticket_id", "ticket_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    stix_id: str = Field(max_length=128, index=True)
    stix_type: str = Field(max_length=64)
    version: int = 1
    modified: str | None = Field(default=None, max_length=40)
    created_by_ref: str | None = Field(default=None, max_length=128)
    producer: str | None = Field(default=None, max_length=128)
    ticket_key: str | None = Field(default=None, max_length=2200)
    # Fingerprint of our own objects without created/modified; None for objects received from others.
    digest: str | None = Field(default=None, max_length=64)
    content: str = Field(sa_column=Column(Text, nullable=False))
    stored_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class StoredVersion(NamedTuple):
    """One stored version, as plain values: a ticket's 40,000 of them load without ORM overhead."""

    stix_id: str
    version: int
    modified: str | None
    created_by_ref: str | None
    producer: str | None
    ticket_key: str | None
    digest: str | None
    content: str


_STORED_COLUMNS = [getattr(StixObjectVersion, name) for name in StoredVersion._fields]
# Ids or keys per IN (…): well under SQLite's and PostgreSQL's limits on bound parameters.
_LOOKUP_CHUNK = 500


def latest_for_ticket(session: Session, ticket_id: int | None) -> dict[str, StoredVersion]:
    """The latest stored version of each object of a ticket (None: the CSIRT-wide objects)."""
    column = StixObjectVersion.ticket_id
    statement = select(*_STORED_COLUMNS).where(column == ticket_id if ticket_id is not None else col(column).is_(None))
    latest: dict[str, StoredVersion] = {}
    for row in session.execute(statement.order_by(col(StixObjectVersion.version))):
        latest[row[0]] = StoredVersion(*row)
    return latest


class VersionHead(NamedTuple):
    """What versioning an object needs of its latest stored version: not its content."""

    stix_id: str
    version: int
    modified: str | None
    created_by_ref: str | None
    ticket_key: str | None


_HEAD_COLUMNS = [getattr(StixObjectVersion, name) for name in VersionHead._fields]


def latest_of(session: Session, ticket_id: int, stix_ids: Iterable[str]) -> dict[str, VersionHead]:
    """The latest stored version of each of these objects in a ticket, looked up by id: a batch of a
    peer's envelope costs the same whether the ticket holds 10 objects or 100,000."""
    ordered = sorted(set(stix_ids))
    latest: dict[str, VersionHead] = {}
    for start in range(0, len(ordered), _LOOKUP_CHUNK):
        statement = (
            select(*_HEAD_COLUMNS)
            .where(
                StixObjectVersion.ticket_id == ticket_id,
                col(StixObjectVersion.stix_id).in_(ordered[start : start + _LOOKUP_CHUNK]),
            )
            .order_by(col(StixObjectVersion.version))
        )
        for row in session.execute(statement):
            latest[row[0]] = VersionHead(*row)
    return latest


def key_holders(session: Session, ticket_id: int, keys: Iterable[str]) -> dict[str, str]:
    """Which object's latest version holds each of these ticket keys in a ticket (key -> stix id)."""
    ordered = sorted(set(keys))
    later = aliased(StixObjectVersion)
    newer_exists = (
        select(later.id)
        .where(
            later.ticket_id == StixObjectVersion.ticket_id,
            later.stix_id == StixObjectVersion.stix_id,
            later.version > StixObjectVersion.version,
        )
        .exists()
    )
    held: dict[str, str] = {}
    for start in range(0, len(ordered), _LOOKUP_CHUNK):
        statement = select(StixObjectVersion.ticket_key, StixObjectVersion.stix_id).where(
            StixObjectVersion.ticket_id == ticket_id,
            col(StixObjectVersion.ticket_key).in_(ordered[start : start + _LOOKUP_CHUNK]),
            ~newer_exists,
        )
        for key, stix_id in session.execute(statement):
            held[key] = stix_id
    return held


# What `add_versions` takes of each new version, in this order.
NEW_VERSION_COLUMNS = (
    "ticket_id",
    "stix_id",
    "stix_type",
    "version",
    "modified",
    "created_by_ref",
    "producer",
    "ticket_key",
    "digest",
    "content",
)


def add_versions(session: Session, rows: list[tuple[Any, ...]], stored_at: datetime) -> None:
    """Insert many versions stored at one time, each a tuple of values in the order of NEW_VERSION_COLUMNS:
    a 100,000-observable ticket has 300,000."""
    table = StixObjectVersion.__table__  # type: ignore[attr-defined]
    bulk.insert_values(session, table, NEW_VERSION_COLUMNS, rows, order_by="stix_id", same={"stored_at": stored_at})


def versions_of(session: Session, stix_id: str, ticket_id: int | None = None) -> list[StixObjectVersion]:
    """Every stored version of an object, oldest first (of one ticket's copy when `ticket_id` is given)."""
    statement = select(StixObjectVersion).where(StixObjectVersion.stix_id == stix_id)
    if ticket_id is not None:
        statement = statement.where(StixObjectVersion.ticket_id == ticket_id)
    return list(session.exec(statement.order_by(col(StixObjectVersion.ticket_id), col(StixObjectVersion.version))))


def version_numbers(session: Session, ticket_id: int) -> dict[tuple[str, str | None], int]:
    """Each stored version of a ticket's objects, (id, modified) -> its version number."""
    statement = select(StixObjectVersion.stix_id, StixObjectVersion.modified, StixObjectVersion.version).where(
        StixObjectVersion.ticket_id == ticket_id
    )
    return {(stix_id, modified): version for stix_id, modified, version in session.execute(statement)}


def creators_of(session: Session, stix_ids: Sequence[str], besides: str | None = None) -> dict[str, set[str]]:
    """The identities recorded as creators of each of these objects, in any ticket;
    `besides` leaves one identity out (the writer asking: only the others matter)."""
    found: dict[str, set[str]] = {}
    ordered = sorted(set(stix_ids))
    for start in range(0, len(ordered), 500):
        statement = (
            select(StixObjectVersion.stix_id, StixObjectVersion.created_by_ref)
            .where(
                col(StixObjectVersion.stix_id).in_(ordered[start : start + 500]),
                col(StixObjectVersion.created_by_ref).is_not(None),
                *([col(StixObjectVersion.created_by_ref) != besides] if besides is not None else []),
            )
            .distinct()
        )
        for stix_id, creator in session.exec(statement):
            if creator is not None:
                found.setdefault(stix_id, set()).add(creator)
    return found


class SentVersion(NamedTuple):
    """A stored version as the peers it goes to need it: its row id (how far a peer has been sent), who made it."""

    row_id: int
    producer: str | None
    content: str


def stored_after(session: Session, ticket_id: int, after_row: int) -> list[SentVersion]:
    """The versions of a ticket's objects stored after row `after_row`, oldest first."""
    statement = (
        select(StixObjectVersion.id, StixObjectVersion.producer, StixObjectVersion.content)
        .where(StixObjectVersion.ticket_id == ticket_id, col(StixObjectVersion.id) > after_row)
        .order_by(col(StixObjectVersion.id))
    )
    return [SentVersion(*row) for row in session.execute(statement)]


def last_row(session: Session, ticket_id: int) -> int:
    """The id of the ticket's latest stored version (0 when none)."""
    statement = select(func.max(StixObjectVersion.id)).where(StixObjectVersion.ticket_id == ticket_id)
    return int(session.execute(statement).scalar_one() or 0)
