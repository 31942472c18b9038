"""One ticket per shared incident, at every CSIRT that holds it.

A shared incident keeps its originator's id everywhere. A peer's incident (shared, or carried by a
request for assistance or an early warning) becomes our ticket through the same mapping as a file
import (services/exchange/importer.py); a later version moves that ticket; what a participant adds
(its notes, indicators, relationships, all created by it and referring to the incident) lands on the
ticket holding the incident, whoever opened it. A link records each peer the ticket is shared with,
either way, and how far that peer has our versions (see scheduled.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from puente.i18n import N_, Phrase
from puente.services.context import Context
from puente.services.errors import PuenteError
from puente.services.exchange import importer
from puente.stix import assistance as stix_notes
from puente.stix import mapping
from puente.storage import peers as peer_store
from puente.storage import stix_objects
from puente.storage import tickets as ticket_store
from puente.storage.models import Ticket
from puente.storage.peers import Peer, TicketLink

log = logging.getLogger(__name__)


def _refs(obj: dict[str, Any]) -> Iterable[str]:
    for ref in (*obj.get("object_refs", ()), obj.get("source_ref"), obj.get("target_ref"), obj.get("sighting_of_ref")):
        if isinstance(ref, str):
            yield ref


def by_incident(objects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The objects about each incident they name: the incident, what refers to it, and what those refer to
    (an indicator through its `indicates` relationship, an observable through `based-on`). Content about
    one incident only, the usual envelope, is that incident's whole."""
    incidents = {o["id"] for o in objects if o["type"] == "incident"}
    incidents |= {ref for o in objects for ref in _refs(o) if ref.startswith("incident--")}
    if len(incidents) <= 1:
        return {incident: objects for incident in incidents}
    owner: dict[str, str] = {incident: incident for incident in incidents}
    for _ in range(3):  # incident <- relationship/note -> indicator/location <- based-on -> observable
        for obj in objects:
            ids = [obj["id"], *_refs(obj)]
            found = next((owner[i] for i in ids if i in owner), None)
            if found is not None:
                for i in ids:
                    owner.setdefault(i, found)
    groups: dict[str, list[dict[str, Any]]] = {incident: [] for incident in incidents}
    for obj in objects:
        if obj["id"] in owner:
            groups[owner[obj["id"]]].append(obj)
    return groups


def take_in(ctx: Context, peer: Peer, objects: list[dict[str, Any]], paged_otherwise: set[str]) -> dict[str, Ticket]:
    """Take in a peer's objects about shared incidents; returns our ticket for each incident named.

    A new incident opens a ticket that pages as any new ticket would, unless a request for assistance
    or an early warning about it (`paged_otherwise`) raises its own page. Content about an incident we
    do not hold and that does not come with it is left for the assistance message that may explain it.
    A group that cannot be taken in is refused on its own; the others still are.
    """
    sender = importer.Sender(peer.name, _csirt_names(ctx), page=True)
    found: dict[str, Ticket] = {}
    for incident_id, group in by_incident(objects).items():
        has_incident = any(o["id"] == incident_id for o in group)
        if not has_incident and ticket_store.by_incident_id(ctx.session, incident_id) is None:
            continue
        sender = importer.Sender(sender.name, sender.names, page=incident_id not in paged_otherwise)
        try:
            with ctx.session.begin_nested():
                result = importer.take_in(ctx, group, sender)
        except (PuenteError, ValueError, KeyError, TypeError) as error:
            why = f"{incident_id}: {peer.name}'s content could not be taken in: {error}"[:500]
            log.warning("%s", why)
            # No ticket holds it: an operator's record (`puente inbox`), read on the command line.
            ctx.record("peer-object-rejected", why, actor=f"peer:{peer.name}")
            continue
        incident = next((o for o in group if o["id"] == incident_id), None)
        reference = (
            stix_notes.reference_of(incident)
            if incident and incident.get("created_by_ref") == peer.identity_id
            else None
        )
        link(ctx, peer, result.ticket, reference=reference)
        if incident is not None and incident.get("created_by_ref") == peer.identity_id:
            _link_participants(ctx, result.ticket, mapping.ticket_of([incident]).facts.participants)
        if result.created:
            ctx.record(
                action="peer-shared",
                ticket_id=result.ticket.id,
                summary=Phrase(
                    N_("{peer} shared their incident {reference}: {title}"),
                    {"peer": peer.name, "reference": reference or incident_id, "title": result.ticket.title[:300]},
                ),
            )
        found[incident_id] = result.ticket
    return found


def link(
    ctx: Context, peer: Peer, ticket: Ticket, *, reference: str | None = None, sent_through: int | None = None
) -> TicketLink:
    """The ticket is shared with the peer (either way): the link, made once, with the peer's reference once
    known. `sent_through` records that the peer was just sent every version stored so far."""
    assert ticket.id is not None and peer.id is not None
    found = peer_store.link_for_incident(ctx.session, peer.id, ticket.incident_id)
    if found is None:
        if ticket.producer is None:
            # Our incident now names one more participant: a new version for those it is already shared with,
            # which releases it to that participant as far as they are concerned (services/handling).
            ticket.updated_at = ctx.now()
            ctx.session.add(ticket)
        found = TicketLink(
            ticket_id=ticket.id,
            peer_id=peer.id,
            peer_reference=reference,
            peer_incident_id=ticket.incident_id,
            created_at=ctx.now(),
            sent_through=stix_objects.last_row(ctx.session, ticket.id) if sent_through is None else sent_through,
            synced_at=ticket.updated_at,
        )
    else:
        if reference and not found.peer_reference:
            found.peer_reference = reference
        if sent_through is not None:
            found.sent_through, found.synced_at = max(found.sent_through, sent_through), ticket.updated_at
    ctx.session.add(found)
    ctx.session.flush()
    return found


def sent_to(ctx: Context, recipients: Iterable[Peer], ticket: Ticket) -> None:
    """The recipients were just sent the ticket's objects as they stand: from now on its later versions follow
    them by themselves (scheduled.py)."""
    through = stix_objects.last_row(ctx.session, ticket.id or 0)
    for peer in recipients:
        link(ctx, peer, ticket, sent_through=through)


def _link_participants(ctx: Context, ticket: Ticket, identities: list[str]) -> None:
    """The other CSIRTs the originator shares its incident with, those we know as peers: what we add to our
    copy goes to them too (nothing of theirs or the originator's is sent back to them)."""
    for identity_id in identities:
        peer = peer_store.by_identity(ctx.session, identity_id)
        if peer is not None:
            link(ctx, peer, ticket)


def _csirt_names(ctx: Context) -> dict[str, str]:
    """The CSIRTs we know, by STIX identity: a note from one of them says whose it is."""
    return {p.identity_id: p.name for p in peer_store.all_peers(ctx.session) if p.identity_id}
