"""The TAXII door: what a partner POSTs to a collection is screened, then stored in bounded batches.

Screening needs no database (STIX validation, what the database can hold, the writer rule, the
official TLP definitions), so it runs before any transaction. Storing then takes the collection's
append lock for one batch at a time: a 10 MB upload never holds the write lock for long, and the
workers and chat commands get their turns in between. Ownership (services/feeds/ownership.py) is
checked in each batch's transaction, against what is stored at that moment. Every refusal is a
failure in the status resource, with its reason; nothing refused is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import NotFound, Unauthenticated
from puente.services.exchange import storable
from puente.services.feeds import ownership, screening
from puente.services.feeds.collections import UNVERSIONED, collection_for, entry, visible
from puente.services.feeds.records import AuthenticatedPartner, PartnerCollection, PostStatus, StatusDetail
from puente.services.handling import policy as handling
from puente.stix.validation import InvalidStix, check_object
from puente.storage import collections, timeline
from puente.storage.collections import NewEntry, TaxiiStatus
from puente.storage.partners import Partner

STATUS_KEPT = timedelta(days=7)
# Objects stored per transaction: small enough that the write lock is held for a fraction of a second.
BATCH = 500

UnitOfWork = Callable[[], AbstractContextManager[Context]]


@dataclass
class Screened:
    """A POST after screening: the entries to store, the refusals, and what each RFA note asks about.

    The posted objects themselves are not kept: only the bytes each entry stores.
    """

    total: int
    accepted: list[NewEntry] = field(default_factory=list)
    failures: list[StatusDetail] = field(default_factory=list)
    asked: dict[str, str] = field(default_factory=dict)


def _label(obj: Any) -> tuple[str, str]:
    """The id and version a status names for an object, whatever shape it came in."""
    if not isinstance(obj, Mapping):
        return "(no id)", UNVERSIONED
    object_id, version = obj.get("id"), obj.get("modified") or obj.get("created")
    return (
        _visible(object_id[:200]) if isinstance(object_id, str) else "(no id)",
        _visible(version[:40]) if isinstance(version, str) else UNVERSIONED,
    )


def _visible(text: str) -> str:
    """NUL made visible: statuses and logs never carry one."""
    return text.replace("\x00", "\\x00")


def _refusal(partner: AuthenticatedPartner, obj: Any) -> str | None:
    reason = storable.problem(obj)
    if reason is not None:
        return reason
    try:
        check_object(obj)
    except InvalidStix as error:
        return str(error)
    return handling.creator_refusal(partner.identity_ref, obj) or ownership.marking_refusal(obj)


def screen(partner: AuthenticatedPartner, objects: Iterable[Any]) -> Screened:
    """Check each posted object on its own, outside any transaction; refusals carry a reason."""
    objects = list(objects)
    screened = Screened(total=len(objects))
    build = screening.this_build()
    for obj in objects:
        reason = _refusal(partner, obj)
        if reason is not None:
            object_id, version = _label(obj)
            screened.failures.append(StatusDetail(object_id, version, _visible(reason)[:500]))
            continue
        marked = handling.marked_tlp(obj)
        screened.accepted.append(entry(obj, marked.value if marked else None, partner.id, screened_by=build))
        if (incident := ownership.asks_about(obj)) is not None:
            screened.asked[obj["id"]] = incident
    return screened


def _writable(ctx: Context, partner: AuthenticatedPartner, collection: PartnerCollection) -> PartnerCollection:
    """The collection, if the partner may still write to it: access withdrawn mid-upload stores nothing more."""
    current = ctx.session.get(Partner, partner.id)
    if current is None or current.revoked_at is not None:
        raise Unauthenticated(
            _("The credentials of {name} were revoked: nothing more was stored.").format(name=partner.name)
        )
    return collection_for(replace(partner, collections=visible(ctx, partner.id)), collection.id, write=True)


def _store_batch(
    ctx: Context,
    partner: AuthenticatedPartner,
    collection: PartnerCollection,
    batch: Sequence[NewEntry],
    asked: Mapping[str, str],
) -> tuple[list[StatusDetail], list[StatusDetail]]:
    _writable(ctx, partner, collection)
    refused = ownership.foreign(ctx, partner.identity_ref, [e.stix_id for e in batch], asked)
    failures = [StatusDetail(e.stix_id, e.version, refused[e.stix_id]) for e in batch if e.stix_id in refused]
    entries = [e for e in batch if e.stix_id not in refused]
    locked = collections.lock_for_append(ctx.session, collection.id)
    successes = [
        StatusDetail(e.stix_id, e.version, "added" if date_added is not None else "this version was already present")
        for e, date_added in collections.append(ctx.session, locked, ctx.now(), entries)
    ]
    return successes, failures


def receive(
    work: UnitOfWork, partner: AuthenticatedPartner, collection: PartnerCollection, screened: Screened
) -> PostStatus:
    """Store what screening accepted, a batch per transaction, and record the POST's status."""
    successes: list[StatusDetail] = []
    failures = list(screened.failures)
    for start in range(0, len(screened.accepted), BATCH):
        with work() as ctx:
            batch = screened.accepted[start : start + BATCH]
            stored, refused = _store_batch(ctx, partner, collection, batch, screened.asked)
        successes += stored
        failures += refused
    with work() as ctx:
        _writable(ctx, partner, collection)
        collections.purge_statuses(ctx.session, ctx.now() - STATUS_KEPT)
        status = TaxiiStatus(
            id=str(uuid.uuid4()),
            collection_id=collection.id,
            partner_id=partner.id,
            request_timestamp=ctx.now(),
            total_count=screened.total,
            success_count=len(successes),
            failure_count=len(failures),
            successes=_stored(successes),
            failures=_stored(failures),
        )
        collections.add_status(ctx.session, status)
        timeline.record(
            ctx.session,
            at=ctx.now(),
            actor=f"partner:{partner.name}",
            action="taxii-received",
            summary=f"{len(successes)} stored, {len(failures)} refused in {collection.alias}",
            after={"status": status.id},
        )
        return _post_status(status, successes, failures)


def _stored(details: Sequence[StatusDetail]) -> list[dict[str, str]]:
    return [{"id": d.id, "version": d.version, "message": d.message} for d in details]


def _post_status(
    status: TaxiiStatus, successes: Sequence[StatusDetail], failures: Sequence[StatusDetail]
) -> PostStatus:
    return PostStatus(
        id=status.id,
        request_timestamp=status.request_timestamp,
        total_count=status.total_count,
        success_count=status.success_count,
        successes=successes,
        failure_count=status.failure_count,
        failures=failures,
    )


def status_for(ctx: Context, partner: AuthenticatedPartner, status_id: str) -> PostStatus:
    status = collections.status_by_id(ctx.session, status_id)
    if status is None or status.partner_id != partner.id:
        raise NotFound(
            _("No status {status_id!r} for {name}: statuses are kept {days} days.").format(
                status_id=status_id, name=partner.name, days=STATUS_KEPT.days
            )
        )
    return _post_status(
        status,
        [StatusDetail(d["id"], d["version"], d["message"]) for d in status.successes],
        [StatusDetail(d["id"], d["version"], d["message"]) for d in status.failures],
    )
