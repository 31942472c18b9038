"""TAXII collections as the CSIRT uses them: publish to an audience, receive a peer's messages.

`publish` is what sending to peers calls (services/peers/flows.py); `inbox_entries` is what the inbox
calls to ingest a peer's inbox; the rest serves the TAXII server (server/taxii/) for authenticated
partners, as records (services/feeds/records.py). Reading a collection page by page is
services/feeds/pages.py; what partners POST comes in through services/feeds/door.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import Forbidden, InvalidInput, NotFound
from puente.services.feeds import filters, pages, screening
from puente.services.feeds.records import AuthenticatedPartner, PartnerCollection
from puente.services.handling import policy as handling
from puente.services.handling.policy import CollectionKind, Destination
from puente.services.vocabularies import taxonomy
from puente.services.vocabularies.taxonomy import TLP
from puente.stix.timestamps import parse_timestamp
from puente.storage import collections, timeline
from puente.storage import partners as partner_store
from puente.storage.collections import NewEntry, TaxiiCollection

# Observables have no created/modified; one fixed version keeps them stable across re-sends.
UNVERSIONED = "1970-01-01T00:00:00.000Z"

_TITLES = {
    CollectionKind.PUBLIC: ("Public (TLP:CLEAR)", "Material anyone may see."),
    CollectionKind.COMMUNITY: (
        "Community (TLP:CLEAR and TLP:GREEN)",
        "Material for partners and peers of the community.",
    ),
    CollectionKind.AUDIENCE: (
        "For {audience} (TLP:AMBER, AMBER+STRICT, RED)",
        "Material addressed to {audience} only.",
    ),
    CollectionKind.INBOX: ("Inbox of {audience}", "Where {audience} posts its messages to us."),
}


@dataclass(frozen=True)
class Published:
    """Where one publish went: collection alias -> how many object versions were new there."""

    tlp: TLP
    added: dict[str, int]


@dataclass(frozen=True)
class InboxEntry:
    """One object a peer posted to its inbox; `date_added` is the cursor to pass back next time.
    `screened` says this build's TAXII door validated it on its way in (services/feeds/screening.py)."""

    date_added: datetime
    stix_object: dict[str, Any]
    partner: str | None
    screened: bool = False


def ensure_collection(ctx: Context, destination: Destination) -> TaxiiCollection:
    """The collection for this destination, created on first use."""
    existing = collections.by_alias(ctx.session, destination.alias)
    if existing is not None:
        return existing
    title, description = _TITLES[destination.kind]
    collection = TaxiiCollection(
        id=str(uuid.uuid4()),
        alias=destination.alias,
        kind=destination.kind.value,
        audience=destination.audience,
        title=title.format(audience=destination.audience),
        description=description.format(audience=destination.audience),
        created_at=ctx.now(),
    )
    ctx.session.add(collection)
    ctx.session.flush()
    ctx.record(action="taxii-collection-created", summary=destination.alias)
    return collection


def entry(
    stix_object: Mapping[str, Any], tlp: str | None, partner_id: int | None = None, screened_by: str | None = None
) -> NewEntry:
    version = stix_object.get("modified") or stix_object.get("created") or UNVERSIONED
    creator = stix_object.get("created_by_ref")
    return NewEntry(
        stix_id=stix_object["id"],
        type=stix_object["type"],
        spec_version=stix_object.get("spec_version", "2.1"),
        version=version,
        version_at=parse_timestamp(version),
        raw=orjson.dumps(stix_object),
        tlp=tlp,
        created_by_ref=creator if isinstance(creator, str) else None,
        partner_id=partner_id,
        screened_by=screened_by,
    )


def _problem(stix_object: Any) -> str | None:
    """Why an object cannot be stored (strict STIX 2.1 validation), or None when it can."""
    # Imported here: validation loads stix2, which commands that only read a collection never need.
    from puente.stix.validation import InvalidStix, check_object

    try:
        check_object(stix_object)
    except InvalidStix as error:
        return str(error)
    return None


def publish(
    ctx: Context,
    objects: Sequence[Mapping[str, Any]],
    tlp: TLP | str,
    recipients: Sequence[str] = (),
    *,
    stored: bool = False,
) -> Published:
    """Make objects available over TAXII to the audience their TLP allows (services/handling/policy.py).

    AMBER, AMBER+STRICT and RED need `recipients` (peer or partner names); each gets the objects in
    its own collection. An object whose TLP 2.0 marking is stricter than `tlp` is refused whole.
    `stored` says the objects are a ticket's stored versions, which were validated on their way in
    (import, or our own mapping): checking them again would cost most of a large share.
    """
    level = tlp if isinstance(tlp, TLP) else taxonomy.tlp(tlp)
    return publish_in(ctx, objects, level, handling.destinations(level, recipients), stored=stored)


def publish_in(
    ctx: Context,
    objects: Sequence[Mapping[str, Any]],
    level: TLP,
    destinations: Sequence[Destination],
    *,
    stored: bool = False,
) -> Published:
    """Store objects at TLP `level` in each of `destinations` (see `publish`)."""
    entries: list[NewEntry] = []
    for stix_object in objects:
        reason = None if stored else _problem(stix_object)
        if reason is not None:
            raise InvalidInput(
                _("Cannot publish {stix_object!r}: {reason}.").format(
                    stix_object=stix_object.get("id", _("an object")), reason=reason
                )
            )
        marked = handling.marked_tlp(stix_object)
        if marked is not None and marked.rank > level.rank:
            raise Forbidden(
                _("{value} is marked {label}: it cannot be shared as {label2}.").format(
                    value=stix_object["id"], label=marked.label, label2=level.label
                )
            )
        entries.append(entry(stix_object, (marked or level).value))
    added: dict[str, int] = {}
    for destination in destinations:
        handling.check_fits(destination.kind, level)
        collection = collections.lock_for_append(ctx.session, ensure_collection(ctx, destination).id)
        results = collections.append(ctx.session, collection, ctx.now(), entries)
        added[destination.alias] = sum(1 for _, date_added in results if date_added is not None)
    ctx.record(
        action="taxii-published",
        summary=f"{len(entries)} objects as {level.label} to {', '.join(added)}",
        after={"added": added},
    )
    return Published(level, added)


def inbox_entries(ctx: Context, peer: str, after: datetime | None = None, limit: int = 500) -> list[InboxEntry]:
    """What a peer posted to its inbox after the cursor, oldest first (empty if it has no inbox yet)."""
    inbox = collections.by_alias(ctx.session, Destination(CollectionKind.INBOX, peer).alias)
    if inbox is None:
        return []
    names = {p.id: p.name for p in partner_store.all_partners(ctx.session)}
    build = screening.this_build()
    return [
        InboxEntry(date_added, orjson.loads(raw), names.get(partner_id) if partner_id else None, screened_by == build)
        for date_added, raw, partner_id, screened_by in collections.entries_after(ctx.session, inbox.id, after, limit)
    ]


# --- what the TAXII server asks on behalf of an authenticated partner ---
# Each returns records (services/feeds/records.py); `params` are the request's TAXII query parameters.


def visible(ctx: Context, partner_id: int) -> tuple[PartnerCollection, ...]:
    """The collections granted to a partner, in a stable order (partners.authenticate hands them on)."""
    return tuple(
        PartnerCollection(
            id=row.id,
            alias=row.alias,
            title=row.title,
            description=row.description,
            can_read=row.can_read,
            can_write=row.can_write,
        )
        for row in partner_store.granted_collections(ctx.session, partner_id)
    )


def collection_for(
    partner: AuthenticatedPartner, collection_id: str, *, read: bool = False, write: bool = False
) -> PartnerCollection:
    """The collection if the partner may use it so; 404 when it may not even know it exists, 403 otherwise."""
    collection = next((c for c in partner.collections if c.id == collection_id), None)
    if collection is None:
        raise NotFound(
            _("No collection {collection_id} for {name}: GET the collections endpoint to see yours.").format(
                collection_id=collection_id, name=partner.name
            )
        )
    if read and not collection.can_read:
        raise Forbidden(
            _("{name} may write to collection {alias} but not read it.").format(
                name=partner.name, alias=collection.alias
            )
        )
    if write and not collection.can_write:
        raise Forbidden(
            _("{name} may read collection {alias} but not write to it.").format(
                name=partner.name, alias=collection.alias
            )
        )
    return collection


def delete_object(
    ctx: Context,
    partner: AuthenticatedPartner,
    collection: PartnerCollection,
    stix_id: str,
    params: Iterable[tuple[str, str]],
) -> int:
    """Delete versions of one object; a partner may only delete what it created. Returns how many went."""
    query = filters.parse(params, ctx.settings.taxii_page_size, filters.OBJECT)
    pages.require_object(ctx, collection, stix_id)
    matching = collections.entries_of_object(ctx.session, collection.id, stix_id, query)
    foreign = [e for e in matching if partner.identity_ref is None or e.created_by_ref != partner.identity_ref]
    if foreign:
        raise Forbidden(
            _("{stix_id} was not created by {name}: you may only delete your own objects.").format(
                stix_id=stix_id, name=partner.name
            )
        )
    if matching:
        collections.delete_entries(ctx.session, collection.id, stix_id, [e.id for e in matching if e.id is not None])
        timeline.record(
            ctx.session,
            at=ctx.now(),
            actor=f"partner:{partner.name}",
            action="taxii-deleted",
            summary=f"{len(matching)} versions of {stix_id} from {collection.alias}",
        )
    return len(matching)
