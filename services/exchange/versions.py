"""Every STIX object version Puente emits or receives, kept per ticket.

A version is stored as its JSON with a digest of its content (timestamps aside), so an unchanged
object is never re-versioned; a changed one of ours gets the same id and a later `modified`.
Objects created by another producer are never re-versioned by us, and only their creator may
issue a new version of them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson

from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import Forbidden
from puente.stix.timestamps import format_timestamp, newer, parse_timestamp
from puente.storage import stix_objects
from puente.storage.models import Ticket
from puente.storage.stix_objects import VersionHead

_TIMESTAMPS = ("created", "modified")


def digest(obj: Mapping[str, Any]) -> str:
    content = {key: value for key, value in obj.items() if key not in _TIMESTAMPS}
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def row(
    obj: dict[str, Any],
    *,
    ticket_id: int | None,
    version: int,
    producer: str | None,
    key: str | None,
    ours: bool = True,
) -> tuple[Any, ...]:
    """A new version of an object as stored (stix_objects.NEW_VERSION_COLUMNS)."""
    return (
        ticket_id,
        obj["id"],
        obj["type"],
        version,
        obj.get("modified"),
        obj.get("created_by_ref"),
        producer,
        key,
        digest(obj) if ours else None,
        orjson.dumps(obj).decode(),
    )


def later(previous: str | None, now: datetime) -> str:
    """A `modified` after the previous version's, even when the clock has not moved."""
    if previous is None:
        return format_timestamp(now)
    return format_timestamp(max(now, parse_timestamp(previous) + timedelta(microseconds=1)))


def versions_of(ctx: Context, stix_id: str, ticket: Ticket | None = None) -> list[dict[str, Any]]:
    """Every stored version of an object, oldest first (only one ticket's copy when `ticket` is given)."""
    rows = stix_objects.versions_of(ctx.session, stix_id, ticket.id if ticket is not None else None)
    return [orjson.loads(row.content) for row in rows]


def store_received(
    ctx: Context,
    ticket: Ticket,
    objects: list[dict[str, Any]],
    producer: str | None,
    keys: dict[str, str],
    now: datetime,
) -> int:
    """Keep each received object version not already stored with the ticket."""
    assert ticket.id is not None
    # Only what this batch names is looked up: a peer's envelope comes in batches, and each would
    # otherwise read every version the ticket holds.
    # A ticket just opened holds nothing yet: there is nothing to look up.
    holds_any = stix_objects.last_row(ctx.session, ticket.id) > 0
    latest = stix_objects.latest_of(ctx.session, ticket.id, (obj["id"] for obj in objects)) if holds_any else {}
    # A key names what the ticket builds itself from one object: another producer's object for the same
    # thing (a peer's indicator of an observable we indicate already) does not take it over.
    wanted = {*keys.values(), *(version.ticket_key for version in latest.values() if version.ticket_key)}
    held = stix_objects.key_holders(ctx.session, ticket.id, wanted) if holds_any else {}
    # Later versions of an object in this batch are numbered after the earlier: the ids sent more than once.
    repeated = {stix_id for stix_id, count in Counter(obj["id"] for obj in objects).items() if count > 1}
    rows: list[tuple[Any, ...]] = []
    for obj in objects:
        previous = latest.get(obj["id"])
        creator = obj.get("created_by_ref") if isinstance(obj.get("created_by_ref"), str) else producer
        if previous is not None:
            modified = obj.get("modified")
            if modified is None or previous.modified is None or not newer(modified, previous.modified):
                continue  # held already: an SCO, a marking definition, or this or a later version
            if obj.get("created_by_ref") != previous.created_by_ref:
                raise Forbidden(
                    _(
                        "{value}: 'created_by_ref' is {obj!r} but the object was created by "
                        "{created_by_ref!r}; only its creator may issue a new version."
                    ).format(value=obj["id"], obj=obj.get("created_by_ref"), created_by_ref=previous.created_by_ref)
                )
        number = previous.version + 1 if previous is not None else 1
        key = keys.get(obj["id"]) or (previous.ticket_key if previous is not None else None)
        if key is not None and held.setdefault(key, obj["id"]) != obj["id"]:
            key = None
        rows.append(row(obj, ticket_id=ticket.id, version=number, producer=creator, key=key, ours=False))
        if obj["id"] in repeated:
            latest[obj["id"]] = VersionHead(obj["id"], number, obj.get("modified"), obj.get("created_by_ref"), key)
    stix_objects.add_versions(ctx.session, rows, now)
    return len(rows)
