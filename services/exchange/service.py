"""Tickets out as STIX 2.1 bundles, and our CSIRT's identity.

Export builds a ticket's objects (stix.mapping), compares each with its last stored version and
records a new version only when the content changed (same id, later `modified`): exporting an
unchanged ticket twice gives the same objects. Objects created by another producer are emitted as
received. The operator at the command line and Puente's own workers (ctx.actor None, a name
given) are trusted; a person needs the on-call role.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import orjson

from puente.i18n import N_plural, Phrase
from puente.services.context import Context
from puente.services.exchange import versions
from puente.services.tickets import service as tickets
from puente.services.users.service import require_role
from puente.stix import mapping
from puente.stix.definitions import INCIDENT_CORE_DEFINITION, PUENTE_TICKET_DEFINITION
from puente.stix.mapping import NoteFacts, ObservableFacts, TicketFacts
from puente.stix.markings import MARKING_IDS, TLP_BY_MARKING_ID, TLP_EXTENSION_DEFINITION, marking_definition
from puente.stix.patterns import SCO_TYPES
from puente.storage import peers as peer_store
from puente.storage import stix_objects
from puente.storage import tickets as ticket_store
from puente.storage.models import Role, Ticket
from puente.storage.peers import Peer

_IDENTITY_KEY = "csirt-identity"
EXTENSION_DEFINITIONS = (TLP_EXTENSION_DEFINITION, INCIDENT_CORE_DEFINITION, PUENTE_TICKET_DEFINITION)


@dataclass
class ExportResult:
    ticket: Ticket
    bundle: dict[str, Any]
    new_versions: int

    def counts(self) -> Counter[str]:
        return Counter(str(o["type"]) for o in self.bundle["objects"])


def _trusted(ctx: Context, role: Role, doing: str) -> None:
    if ctx.actor is not None or ctx.actor_name is None:
        require_role(ctx, role, doing)


def our_identity(ctx: Context) -> dict[str, Any]:
    """Our CSIRT's `identity` object: minted once (UUIDv4), a new version when the name changes."""
    stored = stix_objects.latest_for_ticket(ctx.session, None)
    current = next((row for row in stored.values() if row.ticket_key == _IDENTITY_KEY), None)
    settings = ctx.settings
    now = ctx.now()
    if current is None:
        wanted = mapping.identity(f"identity--{uuid.uuid4()}", settings.csirt_name, settings.csirt_country, now)
        version = 1
    else:
        previous: dict[str, Any] = orjson.loads(current.content)
        wanted = mapping.identity(current.stix_id, settings.csirt_name, settings.csirt_country, now)
        if versions.digest(wanted) == current.digest:
            return previous
        wanted["created"] = previous["created"]
        wanted["modified"] = versions.later(previous["modified"], now)
        version = current.version + 1
    stix_objects.add_versions(
        ctx.session,
        [versions.row(wanted, ticket_id=None, version=version, producer=wanted["id"], key=_IDENTITY_KEY)],
        now,
    )
    return wanted


def _facts(ctx: Context, ticket: Ticket) -> TicketFacts:
    assert ticket.id is not None
    return TicketFacts(
        incident_id=ticket.incident_id,
        title=ticket.title,
        created_at=ticket.created_at,
        aware_at=ticket.aware_at,
        reference=ticket.reference,
        description=ticket.description,
        severity=ticket.severity,
        status=ticket.status,
        rsit_classification=ticket.rsit_classification,
        rsit_type=ticket.rsit_type,
        sectors=list(ticket.sectors),
        countries=list(ticket.countries),
        labels=list(ticket.labels),
        tlp=ticket.tlp,
        pap=ticket.pap,
        legal_basis=ticket.legal_basis,
        observables=[
            ObservableFacts(o.kind, o.value, o.added_at) for o in ticket_store.observables(ctx.session, ticket.id)
        ],
        notes=[
            NoteFacts(n.note_id, n.author, n.text, n.created_at, n.language)
            for n in ticket_store.notes(ctx.session, ticket.id)
        ],
        participants=_participants(ctx, ticket),
    )


def _participants(ctx: Context, ticket: Ticket) -> list[str]:
    """The CSIRTs our own incident is shared with, by identity; a copy of another CSIRT's incident names none."""
    if ticket.producer is not None:
        return []
    links = peer_store.links_of_ticket(ctx.session, ticket.id or 0)
    found = [ctx.session.get(Peer, link.peer_id) for link in links]
    return sorted({peer.identity_id for peer in found if peer is not None and peer.identity_id})


def current_objects(ctx: Context, ticket: Ticket) -> tuple[list[dict[str, Any]], int]:
    """A ticket's objects as they stand, recording a new version of each that changed.

    Returns the objects (ours first, then those received from others) and how many versions
    were recorded. Extension and marking definitions are not included (see `bundle_for`).
    """
    assert ticket.id is not None
    identity = our_identity(ctx)
    ours = identity["id"]
    now = ctx.now()
    latest = stix_objects.latest_for_ticket(ctx.session, ticket.id)
    ids = {row.ticket_key: row.stix_id for row in latest.values() if row.ticket_key}
    built = mapping.ticket_objects(
        _facts(ctx, ticket), identity_id=ours, csirt_name=ctx.settings.csirt_name, ids=ids, now=now
    )
    emitted: list[dict[str, Any]] = [identity]
    rows: list[tuple[Any, ...]] = []
    # On a copy of another CSIRT's incident, a relationship between two of its objects is its to state, not ours.
    theirs = {
        row.stix_id for row in latest.values() if row.producer != ours and row.stix_id.split("--")[0] not in SCO_TYPES
    }
    for obj in built.objects:
        if obj["type"] == "relationship" and {obj["source_ref"], obj["target_ref"]} <= theirs | _observables(obj):
            continue
        previous = latest.get(obj["id"])
        if previous is None:
            rows.append(versions.row(obj, ticket_id=ticket.id, version=1, producer=ours, key=built.keys.get(obj["id"])))
            emitted.append(obj)
            continue
        stored_digest = previous.digest or versions.digest(orjson.loads(previous.content))  # ours, received back: None
        if previous.producer != ours or stored_digest == versions.digest(obj):
            emitted.append(orjson.loads(previous.content))
            continue
        before = orjson.loads(previous.content)
        if "created" in before:
            obj["created"] = before["created"]
            obj["modified"] = versions.later(before.get("modified"), now)
        rows.append(
            versions.row(obj, ticket_id=ticket.id, version=previous.version + 1, producer=ours, key=previous.ticket_key)
        )
        emitted.append(obj)
    built_ids = {obj["id"] for obj in built.objects}
    # Every object received from others, as received; of ours, only what the ticket still holds.
    emitted += [
        orjson.loads(row.content)
        for row in latest.values()
        if row.stix_id not in built_ids and (row.ticket_key is None or row.producer != ours)
    ]
    stix_objects.add_versions(ctx.session, rows, now)
    if rows:
        ctx.record(
            at=now,
            action="stix-versioned",
            ticket_id=ticket.id,
            summary=Phrase.counted(
                N_plural("recorded {count} new STIX object version", "recorded {count} new STIX object versions"),
                len(rows),
            ),
        )
    return emitted, len(rows)


def told_as_ours(ctx: Context, ticket: Ticket) -> tuple[str, list[dict[str, Any]]]:
    """The ticket as an incident of our own, with every object minted afresh and created by us: for a CSIRT
    we pass a copy of another CSIRT's incident on to (a forwarded request), which takes from us only what
    we created. Not versioned: a one-off account, with our ticket reference. Returns the incident's id."""
    facts = _facts(ctx, ticket)
    facts.incident_id = f"incident--{uuid.uuid4()}"
    facts.reference = ticket.reference
    facts.participants = []
    facts.notes = [replace(note, note_id=f"note--{uuid.uuid4()}") for note in facts.notes]
    identity = our_identity(ctx)
    built = mapping.ticket_objects(
        facts, identity_id=identity["id"], csirt_name=ctx.settings.csirt_name, ids={}, now=ctx.now()
    )
    return facts.incident_id, [identity, *built.objects]


def _observables(relationship: dict[str, Any]) -> set[str]:
    return {ref for ref in (relationship["source_ref"], relationship["target_ref"]) if ref.split("--")[0] in SCO_TYPES}


def bundle_for(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """A bundle of `objects` with the definitions they depend on: extensions and TLP 2.0 markings."""
    present = {obj["id"] for obj in objects}
    levels = {
        TLP_BY_MARKING_ID[ref]
        for obj in objects
        for ref in obj.get("object_marking_refs", ())
        if ref in MARKING_IDS.values()
    }
    definitions = [d for d in EXTENSION_DEFINITIONS if d["id"] not in present]
    markings = [
        marking_definition(level) for level in MARKING_IDS if level in levels and MARKING_IDS[level] not in present
    ]
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [*definitions, *markings, *objects]}


def definitions_for(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The definitions (extensions, TLP 2.0 markings) that `objects` depend on, as a send carries them beside
    the objects."""
    return [d for d in bundle_for(objects)["objects"] if d["type"] in ("extension-definition", "marking-definition")]


def export_ticket(ctx: Context, reference: str) -> ExportResult:
    """The ticket as a STIX 2.1 bundle (recording new versions of what changed since the last export)."""
    _trusted(ctx, Role.ONCALL, "exporting a ticket")
    ticket = tickets.get(ctx, reference)
    objects, recorded = current_objects(ctx, ticket)
    return ExportResult(ticket, bundle_for(objects), recorded)


def serialize(bundle: dict[str, Any], pretty: bool = False) -> bytes:
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2 if pretty else 0)
