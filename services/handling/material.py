"""A ticket as material the handling decision weighs: its TLP and PAP, what in it may be personal data and
its legal basis, and, when it is a copy of another CSIRT's incident, who that originator is and whom it
named on the incident."""

from __future__ import annotations

import orjson

from puente.services.context import Context
from puente.services.handling import personal
from puente.services.handling.decision import Material
from puente.services.vocabularies.taxonomy import PAP, TLP
from puente.stix import mapping
from puente.storage import assistance as request_store
from puente.storage import peers as peer_store
from puente.storage import stix_objects
from puente.storage import tickets as ticket_store
from puente.storage.models import Ticket


def of_ticket(ctx: Context, ticket: Ticket) -> Material:
    """The ticket's handling. A ticket opened from another CSIRT's incident (shared with us, carried by a
    request for assistance or an early warning, or imported) has that CSIRT as originator, and is released
    to the CSIRTs its latest version names as participants."""
    personal_data = tuple(str(finding) for finding in findings(ctx, ticket))
    if ticket.producer is None:
        return Material(
            ticket.reference, TLP(ticket.tlp), PAP(ticket.pap), personal=personal_data, legal_basis=ticket.legal_basis
        )
    peer = peer_store.by_identity(ctx.session, ticket.producer)
    released: set[str] = set()
    for identity_id in _participants(ctx, ticket):
        named = peer_store.by_identity(ctx.session, identity_id)
        if named is not None:
            released.add(named.name)
    return Material(
        ticket.reference,
        TLP(ticket.tlp),
        PAP(ticket.pap),
        originator=peer.name if peer is not None else _producer_name(ctx, ticket.producer),
        originator_contact=peer.contact if peer is not None else "",
        released_to=frozenset(released),
        personal=personal_data,
        legal_basis=ticket.legal_basis,
    )


def findings(ctx: Context, ticket: Ticket) -> list[personal.Finding]:
    """What in the ticket may be personal data: in its title, description, notes and requests for assistance,
    and its e-mail observables (an address may be a person's)."""
    assert ticket.id is not None
    texts = [("title", ticket.title), ("description", ticket.description)]
    texts += [(f"note {n}", note.text) for n, note in enumerate(ticket_store.notes(ctx.session, ticket.id), 1)]
    texts += [("request", request.text) for request in request_store.of_ticket(ctx.session, ticket.id)]
    found = personal.find_all(texts)
    found += [
        personal.Finding(personal.EMAIL_OBSERVABLE, observable.value, "observable")
        for observable in ticket_store.observables(ctx.session, ticket.id, kinds=("email-addr",))
    ]
    return found


def _participants(ctx: Context, ticket: Ticket) -> list[str]:
    """The identities the originator's latest version of its incident names as participants."""
    theirs = [
        version
        for version in stix_objects.versions_of(ctx.session, ticket.incident_id, ticket.id)
        if version.created_by_ref == ticket.producer
    ]
    if not theirs:
        return []
    return mapping.ticket_of([orjson.loads(theirs[-1].content)]).facts.participants


def _producer_name(ctx: Context, producer: str) -> str:
    """A producer that is not a peer of ours (a file import) by the name its identity object gives."""
    for version in reversed(stix_objects.versions_of(ctx.session, producer)):
        name = orjson.loads(version.content).get("name")
        if isinstance(name, str) and name:
            return name
    return producer
