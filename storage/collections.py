"""TAXII collections and their entries: STIX objects stored as the bytes that are served.

Each entry keeps the bookkeeping a TAXII filter needs (id, type, version, spec_version, TLP) next to
the object's JSON bytes, so serving a page is one indexed range scan and a byte concatenation.
`date_added` is strictly increasing within a collection; with (collection_id, date_added) unique it
is the cursor pages are keyed on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Index,
    LargeBinary,
    Row,
    String,
    UniqueConstraint,
    and_,
    delete,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlmodel import Field, Session, col

from puente.storage import bulk
from puente.storage.types import Table, utc_field

ONE_MICROSECOND = timedelta(microseconds=1)


class TaxiiCollection(Table, table=True):
    """A collection partners poll or write to; `kind` says which audience it serves (services/handling/policy.py)."""

    __tablename__ = "taxii_collections"

    id: str = Field(primary_key=True, max_length=36)
    alias: str = Field(unique=True, max_length=80)
    title: str = Field(max_length=200)
    description: str = ""
    kind: str = Field(max_length=16)
    audience: str | None = Field(default=None, max_length=64, index=True)
    last_added: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(nullable=False)


class CollectionEntry(Table, table=True):
    """One version of one STIX object in one collection."""

    __tablename__ = "taxii_entries"
    __table_args__ = (
        UniqueConstraint("collection_id", "date_added"),
        UniqueConstraint("collection_id", "stix_id", "version_at"),
        Index("ix_taxii_entries_type", "collection_id", "type", "date_added"),
        # Who created an id, whatever the collection (services/feeds/ownership.py).
        Index("ix_taxii_entries_stix_id", "stix_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    collection_id: str = Field(foreign_key="taxii_collections.id", max_length=36)
    stix_id: str = Field(max_length=128)
    type: str = Field(max_length=64)
    spec_version: str = Field(max_length=8)
    version: str = Field(max_length=40)
    version_at: datetime = utc_field(nullable=False)
    is_first: bool = True
    is_last: bool = True
    tlp: str | None = Field(default=None, max_length=16)
    created_by_ref: str | None = Field(default=None, max_length=128)
    partner_id: int | None = Field(default=None, foreign_key="taxii_partners.id", index=True)
    date_added: datetime = utc_field(nullable=False)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The build whose TAXII door screened a partner's object (services/feeds/screening.py); None otherwise.
    screened_by: str | None = Field(default=None, max_length=32)


class TaxiiStatus(Table, table=True):
    """The outcome of one POST to a collection, readable by the partner who sent it."""

    __tablename__ = "taxii_statuses"

    id: str = Field(primary_key=True, max_length=36)
    collection_id: str = Field(foreign_key="taxii_collections.id", max_length=36)
    partner_id: int | None = Field(default=None, foreign_key="taxii_partners.id", index=True)
    request_timestamp: datetime = utc_field(nullable=False, index=True)
    total_count: int = 0
    success_count: int = 0
    failure_count: int = 0
    successes: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    failures: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


@dataclass(frozen=True)
class NewEntry:
    """What storing one object needs; `raw` is the exact JSON that will be served."""

    stix_id: str
    type: str
    spec_version: str
    version: str
    version_at: datetime
    raw: bytes
    tlp: str | None = None
    created_by_ref: str | None = None
    partner_id: int | None = None
    screened_by: str | None = None


@dataclass
class EntryQuery:
    """TAXII filters in storage terms: values within a field are ORed, fields are ANDed."""

    after: datetime | None = None
    limit: int = 100
    ids: Sequence[str] = ()
    types: Sequence[str] = ()
    spec_versions: Sequence[str] = ()
    first: bool = False
    last: bool = True
    all_versions: bool = False
    versions: Sequence[datetime] = field(default_factory=tuple)


def by_id(session: Session, collection_id: str) -> TaxiiCollection | None:
    return session.get(TaxiiCollection, collection_id)


def by_alias(session: Session, alias: str) -> TaxiiCollection | None:
    return session.execute(select(TaxiiCollection).where(col(TaxiiCollection.alias) == alias)).scalars().first()


def all_collections(session: Session) -> list[TaxiiCollection]:
    return list(
        session.execute(
            select(TaxiiCollection).order_by(col(TaxiiCollection.created_at), col(TaxiiCollection.alias))
        ).scalars()
    )


def lock_for_append(session: Session, collection_id: str) -> TaxiiCollection:
    """Take the collection's append lock for the rest of the transaction.

    Publishers of one collection queue here, so rows commit in date_added order and a pager that
    has passed a cursor never finds a later commit behind it (SQLite: BEGIN IMMEDIATE does this).
    """
    statement = select(TaxiiCollection).where(col(TaxiiCollection.id) == collection_id).with_for_update()
    collection = session.execute(statement).scalars().one()
    session.refresh(collection)
    return collection  # type: ignore[no-any-return]


def append(
    session: Session, collection: TaxiiCollection, now: datetime, entries: Iterable[NewEntry]
) -> list[tuple[NewEntry, datetime | None]]:
    """Store entries (collection locked by `lock_for_append`).

    Returns each entry's date_added, None where the object was already there.
    """
    entries = list(entries)
    if not entries:
        return []
    ids = sorted({e.stix_id for e in entries})
    known: dict[str, tuple[datetime, datetime]] = {}
    present: set[tuple[str, datetime]] = set()
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        rows = session.execute(
            select(col(CollectionEntry.stix_id), col(CollectionEntry.version_at)).where(
                col(CollectionEntry.collection_id) == collection.id, col(CollectionEntry.stix_id).in_(chunk)
            )
        )
        for stix_id, version_at in rows:
            present.add((stix_id, version_at))
            low, high = known.get(stix_id, (version_at, version_at))
            known[stix_id] = (min(low, version_at), max(high, version_at))
    cursor = (
        now if collection.last_added is None or now > collection.last_added else collection.last_added + ONE_MICROSECOND
    )
    rows_out: list[dict[str, Any]] = []
    results: list[tuple[NewEntry, datetime | None]] = []
    demote_last: set[str] = set()
    demote_first: set[str] = set()
    for entry in entries:
        if (entry.stix_id, entry.version_at) in present:
            results.append((entry, None))
            continue
        low_high = known.get(entry.stix_id)
        is_first = low_high is None or entry.version_at < low_high[0]
        is_last = low_high is None or entry.version_at > low_high[1]
        if low_high is not None:
            if is_first:
                demote_first.add(entry.stix_id)
            if is_last:
                demote_last.add(entry.stix_id)
        low, high = low_high or (entry.version_at, entry.version_at)
        known[entry.stix_id] = (min(low, entry.version_at), max(high, entry.version_at))
        present.add((entry.stix_id, entry.version_at))
        rows_out.append(
            {
                "collection_id": collection.id,
                "stix_id": entry.stix_id,
                "type": entry.type,
                "spec_version": entry.spec_version,
                "version": entry.version,
                "version_at": entry.version_at,
                "is_first": is_first,
                "is_last": is_last,
                "tlp": entry.tlp,
                "created_by_ref": entry.created_by_ref,
                "partner_id": entry.partner_id,
                "date_added": cursor,
                "raw": entry.raw,
                "screened_by": entry.screened_by,
            }
        )
        results.append((entry, cursor))
        cursor += ONE_MICROSECOND
    if not rows_out:
        return results
    # Within one batch several versions of an object may arrive: only the extremes keep the flags.
    for row in rows_out:
        low, high = known[row["stix_id"]]
        row["is_first"] = row["is_first"] and row["version_at"] == low
        row["is_last"] = row["is_last"] and row["version_at"] == high
    for flag, stix_ids in (("is_first", demote_first), ("is_last", demote_last)):
        ordered = sorted(stix_ids)
        for chunk_start in range(0, len(ordered), 500):
            session.execute(
                update(CollectionEntry)
                .where(
                    col(CollectionEntry.collection_id) == collection.id,
                    col(CollectionEntry.stix_id).in_(ordered[chunk_start : chunk_start + 500]),
                )
                .values({flag: False})
            )
    bulk.insert_rows(session, CollectionEntry.__table__, rows_out)  # type: ignore[attr-defined]
    collection.last_added = cursor - ONE_MICROSECOND
    session.add(collection)
    session.flush()
    return results


def _conditions(collection_id: str, query: EntryQuery, stix_id: str | None = None) -> list[Any]:
    conditions: list[Any] = [col(CollectionEntry.collection_id) == collection_id]
    if stix_id is not None:
        conditions.append(col(CollectionEntry.stix_id) == stix_id)
    if query.after is not None:
        conditions.append(col(CollectionEntry.date_added) > query.after)
    if query.ids:
        conditions.append(col(CollectionEntry.stix_id).in_(list(query.ids)))
    if query.types:
        conditions.append(col(CollectionEntry.type).in_(list(query.types)))
    if query.spec_versions:
        conditions.append(col(CollectionEntry.spec_version).in_(list(query.spec_versions)))
    if not query.all_versions:
        wanted: list[Any] = []
        if query.last:
            wanted.append(col(CollectionEntry.is_last).is_(True))
        if query.first:
            wanted.append(col(CollectionEntry.is_first).is_(True))
        if query.versions:
            wanted.append(col(CollectionEntry.version_at).in_(list(query.versions)))
        conditions.append(or_(*wanted) if len(wanted) > 1 else wanted[0])
    return conditions


@dataclass(frozen=True)
class ObjectPage:
    """A page of stored object bytes, oldest first, with the date_added of its ends."""

    raws: list[bytes]
    first_added: datetime | None
    last_added: datetime | None
    more: bool


def _stored_utc(value: Any) -> datetime:
    # Raw column values: SQLite hands back naive ISO text, PostgreSQL aware datetimes.
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def page_raw(session: Session, collection_id: str, query: EntryQuery, stix_id: str | None = None) -> ObjectPage:
    """Up to `query.limit` objects' bytes.

    date_added is converted for the two ends only, which keeps big pages cheap.
    """
    statement = (
        select(type_coerce(col(CollectionEntry.date_added), String), col(CollectionEntry.raw))
        .where(and_(*_conditions(collection_id, query, stix_id)))
        .order_by(col(CollectionEntry.date_added))
        .limit(query.limit + 1)
    )
    rows = session.connection().execute(statement).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    if not rows:
        return ObjectPage([], None, None, False)
    return ObjectPage([row[1] for row in rows], _stored_utc(rows[0][0]), _stored_utc(rows[-1][0]), more)


def page_manifest(
    session: Session, collection_id: str, query: EntryQuery, stix_id: str | None = None
) -> Sequence[Row[Any]]:
    """Like `page_raw`, with (date_added, stix_id, version, spec_version) instead of bytes."""
    statement = (
        select(
            col(CollectionEntry.date_added),
            col(CollectionEntry.stix_id),
            col(CollectionEntry.version),
            col(CollectionEntry.spec_version),
        )
        .where(and_(*_conditions(collection_id, query, stix_id)))
        .order_by(col(CollectionEntry.date_added))
        .limit(query.limit + 1)
    )
    return session.execute(statement).all()


def object_exists(session: Session, collection_id: str, stix_id: str) -> bool:
    statement = (
        select(col(CollectionEntry.id))
        .where(col(CollectionEntry.collection_id) == collection_id, col(CollectionEntry.stix_id) == stix_id)
        .limit(1)
    )
    return session.execute(statement).first() is not None


def entries_of_object(session: Session, collection_id: str, stix_id: str, query: EntryQuery) -> list[CollectionEntry]:
    statement = select(CollectionEntry).where(and_(*_conditions(collection_id, query, stix_id)))
    return list(session.execute(statement).scalars())


def delete_entries(session: Session, collection_id: str, stix_id: str, entry_ids: list[int]) -> None:
    """Delete some versions of an object, then give the surviving first and last versions their flags back."""
    session.execute(delete(CollectionEntry).where(col(CollectionEntry.id).in_(entry_ids)))
    survivors = select(func.min(CollectionEntry.version_at), func.max(CollectionEntry.version_at)).where(
        col(CollectionEntry.collection_id) == collection_id, col(CollectionEntry.stix_id) == stix_id
    )
    low, high = session.execute(survivors).one()
    if low is None:
        return
    same_object = [col(CollectionEntry.collection_id) == collection_id, col(CollectionEntry.stix_id) == stix_id]
    session.execute(
        update(CollectionEntry)
        .where(*same_object)
        .values(is_first=col(CollectionEntry.version_at) == low, is_last=col(CollectionEntry.version_at) == high)
    )


def entries_after(
    session: Session, collection_id: str, after: datetime | None, limit: int
) -> list[Row[datetime, bytes, int | None, str | None]]:
    """(date_added, raw, partner_id, screened_by) of the entries after the cursor, oldest first: plain
    rows, as a drained inbox may hold tens of thousands."""
    conditions: list[Any] = [col(CollectionEntry.collection_id) == collection_id]
    if after is not None:
        conditions.append(col(CollectionEntry.date_added) > after)
    columns = [col(getattr(CollectionEntry, name)) for name in ("date_added", "raw", "partner_id", "screened_by")]
    statement = select(*columns).where(*conditions).order_by(col(CollectionEntry.date_added)).limit(limit)
    return list(session.execute(statement))


def add_status(session: Session, status: TaxiiStatus) -> None:
    session.add(status)


def status_by_id(session: Session, status_id: str) -> TaxiiStatus | None:
    return session.get(TaxiiStatus, status_id)


def purge_statuses(session: Session, before: datetime) -> None:
    session.execute(delete(TaxiiStatus).where(col(TaxiiStatus.request_timestamp) < before))


def creators_of(session: Session, stix_ids: Sequence[str], besides: str | None = None) -> dict[str, set[str]]:
    """The identities recorded as creators of each of these objects, in any collection, but `besides`."""
    found: dict[str, set[str]] = {}
    ordered = sorted(set(stix_ids))
    for start in range(0, len(ordered), 500):
        statement = (
            select(col(CollectionEntry.stix_id), col(CollectionEntry.created_by_ref))
            .where(
                col(CollectionEntry.stix_id).in_(ordered[start : start + 500]),
                col(CollectionEntry.created_by_ref).is_not(None),
                *([col(CollectionEntry.created_by_ref) != besides] if besides is not None else []),
            )
            .distinct()
        )
        for stix_id, creator in session.execute(statement):
            found.setdefault(stix_id, set()).add(creator)
    return found
