"""Tickets in and out as STIX 2.1 bundles, with every emitted or received object version kept.

Export builds a ticket's objects (stix.mapping), compares each with its last stored version and
records a new version only when the content changed (same id, later `modified`): exporting an
unchanged ticket twice gives the same objects. Objects created by another producer are never
re-versioned by us; they are emitted as received.

Import checks the content strictly (stix.validation), opens a ticket for the incident (keeping
the producer's incident id and identity) or refreshes the ticket already holding it, and keeps
every object with the ticket, modelled or not.

Export: the operator at the command line and Puente's own workers (ctx.actor None, a name
given) are trusted; a person needs the on-call role. Import needs a person with the analyst role.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from puente.services.context import Context
from puente.services.errors import Forbidden, InvalidInput
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import Observable, ObservableKind, parse_observable
from puente.services.users.service import require_role
from puente.services.vocabularies import countries, taxonomy
from puente.stix import mapping, patterns
from puente.stix.extensions import INCIDENT_CORE_DEFINITION, PUENTE_TICKET_DEFINITION
from puente.stix.mapping import NoteFacts, ObservableFacts, TicketFacts, parse_timestamp, timestamp
from puente.stix.markings import MARKING_IDS, TLP_BY_MARKING_ID, TLP_EXTENSION_DEFINITION, marking_definition
from puente.stix.validation import InvalidStix, check_content
from puente.storage import stix_objects, timeline
from puente.storage import tickets as ticket_store
from puente.storage.models import Role, Ticket, TicketNote, TicketStatus
from puente.storage.stix_objects import StoredVersion

_IDENTITY_KEY = "csirt-identity"
_TIMESTAMPS = ("created", "modified")
EXTENSION_DEFINITIONS = (TLP_EXTENSION_DEFINITION, INCIDENT_CORE_DEFINITION, PUENTE_TICKET_DEFINITION)


@dataclass
class ExportResult:
    ticket: Ticket
    bundle: dict[str, Any]
    new_versions: int

    def counts(self) -> Counter[str]:
        return Counter(str(o["type"]) for o in self.bundle["objects"])


@dataclass
class ImportResult:
    ticket: Ticket
    created: bool
    objects: int
    new_versions: int
    observables_added: int
    notes_added: int
    kept_unmodelled: int
    skipped: list[str] = field(default_factory=list)


def _trusted(ctx: Context, role: Role, doing: str) -> None:
    if ctx.actor is not None or ctx.actor_name is None:
        require_role(ctx, role, doing)


def _digest(obj: Mapping[str, Any]) -> str:
    content = {key: value for key, value in obj.items() if key not in _TIMESTAMPS}
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _row(
    obj: dict[str, Any],
    *,
    ticket_id: int | None,
    version: int,
    producer: str | None,
    key: str | None,
    now: datetime,
    ours: bool = True,
) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "stix_id": obj["id"],
        "stix_type": obj["type"],
        "version": version,
        "modified": obj.get("modified"),
        "created_by_ref": obj.get("created_by_ref"),
        "producer": producer,
        "ticket_key": key,
        "digest": _digest(obj) if ours else None,
        "content": orjson.dumps(obj).decode(),
        "stored_at": now,
    }


def _later(previous: str | None, now: datetime) -> str:
    """A `modified` after the previous version's, even when the clock has not moved."""
    if previous is None:
        return timestamp(now)
    return timestamp(max(now, parse_timestamp(previous) + timedelta(microseconds=1)))


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
        if _digest(wanted) == current.digest:
            return previous
        wanted["created"] = previous["created"]
        wanted["modified"] = _later(previous["modified"], now)
        version = current.version + 1
    stix_objects.add_versions(
        ctx.session, [_row(wanted, ticket_id=None, version=version, producer=wanted["id"], key=_IDENTITY_KEY, now=now)]
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
        tlp=ticket.tlp,
        pap=ticket.pap,
        observables=[
            ObservableFacts(o.kind, o.value, o.added_at) for o in ticket_store.observables(ctx.session, ticket.id)
        ],
        notes=[
            NoteFacts(n.note_id, n.author, n.text, n.created_at) for n in ticket_store.notes(ctx.session, ticket.id)
        ],
    )


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
    rows: list[dict[str, Any]] = []
    for obj in built.objects:
        previous = latest.get(obj["id"])
        if previous is None:
            rows.append(
                _row(obj, ticket_id=ticket.id, version=1, producer=ours, key=built.keys.get(obj["id"]), now=now)
            )
            emitted.append(obj)
            continue
        stored_digest = previous.digest or _digest(orjson.loads(previous.content))  # ours, received back: None
        if previous.producer != ours or stored_digest == _digest(obj):
            emitted.append(orjson.loads(previous.content))
            continue
        before = orjson.loads(previous.content)
        if "created" in before:
            obj["created"] = before["created"]
            obj["modified"] = _later(before.get("modified"), now)
        rows.append(
            _row(
                obj, ticket_id=ticket.id, version=previous.version + 1, producer=ours, key=previous.ticket_key, now=now
            )
        )
        emitted.append(obj)
    built_ids = {obj["id"] for obj in built.objects}
    emitted += [
        orjson.loads(row.content) for row in latest.values() if row.stix_id not in built_ids and row.ticket_key is None
    ]
    stix_objects.add_versions(ctx.session, rows)
    if rows:
        timeline.record(
            ctx.session,
            at=now,
            actor=ctx.who,
            action="stix-versioned",
            ticket_id=ticket.id,
            summary=f"recorded {len(rows)} new STIX object version(s)",
        )
    return emitted, len(rows)


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


def export_ticket(ctx: Context, reference: str) -> ExportResult:
    """The ticket as a STIX 2.1 bundle (recording new versions of what changed since the last export)."""
    _trusted(ctx, Role.ONCALL, "exporting a ticket")
    ticket = tickets.get(ctx, reference)
    objects, recorded = current_objects(ctx, ticket)
    return ExportResult(ticket, bundle_for(objects), recorded)


def serialize(bundle: dict[str, Any], pretty: bool = False) -> bytes:
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2 if pretty else 0)


def versions_of(ctx: Context, stix_id: str, ticket: Ticket | None = None) -> list[dict[str, Any]]:
    """Every stored version of an object, oldest first (only one ticket's copy when `ticket` is given)."""
    rows = stix_objects.versions_of(ctx.session, stix_id, ticket.id if ticket is not None else None)
    return [orjson.loads(row.content) for row in rows]


# Import


def _load(data: bytes | str | dict[str, Any]) -> Any:
    if isinstance(data, dict):
        return data
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"Not JSON: {error}. Expected a STIX 2.1 bundle.") from None


def _accepted_observables(found: list[ObservableFacts], skipped: list[str]) -> dict[Observable, datetime | None]:
    accepted: dict[Observable, datetime | None] = {}
    for item in found:
        try:
            observable = parse_observable(item.value)
        except InvalidInput as error:
            skipped.append(f"observable {item.kind} {item.value!r}: {error}")
            continue
        kind = observable.kind if observable.kind.is_hash else ObservableKind(item.kind)
        if observable.kind != kind:
            skipped.append(f"observable {item.kind} {item.value!r}: reads as {observable.kind.value}")
            continue
        accepted.setdefault(observable, item.added_at)
    return accepted


def _vocabulary(facts: TicketFacts, skipped: list[str]) -> dict[str, Any]:
    """The imported fields checked against Puente's vocabularies; unknown values are left out."""
    rsit = None
    if facts.rsit_classification and facts.rsit_type in taxonomy.RSIT.get(facts.rsit_classification, ()):
        rsit = (facts.rsit_classification, facts.rsit_type)
    sectors = []
    for value in facts.sectors:
        try:
            sectors.append(taxonomy.sector(value))
        except InvalidInput:
            skipped.append(f"sector {value!r}: not a STIX industry sector")
    codes = []
    for value in facts.countries:
        try:
            codes.append(countries.country_code(value))
        except InvalidInput:
            skipped.append(f"country {value!r}: not an ISO 3166 code")
    return {"rsit": rsit, "sectors": list(dict.fromkeys(sectors)), "countries": list(dict.fromkeys(codes))}


def _keys(
    imported: mapping.ImportedTicket,
    objects: list[dict[str, Any]],
    accepted: Mapping[Observable, Any],
    countries_kept: list[str],
) -> dict[str, str]:
    """Ticket-local keys of received objects standing for what Puente would otherwise build itself."""
    keys: dict[str, str] = {}
    for indicator_id, found in imported.indicated.items():
        if Observable(ObservableKind(found.kind), found.value) in accepted:
            keys.setdefault(f"indicator:{found.kind}:{found.value}", indicator_id)
    for obj in objects:
        if obj["type"] == "location" and str(obj.get("country", "")).upper() in countries_kept:
            keys.setdefault(f"location:{str(obj['country']).upper()}", obj["id"])
    return {stix_id: key for key, stix_id in keys.items()}


def import_content(ctx: Context, data: bytes | str | dict[str, Any]) -> ImportResult:
    """Map a STIX 2.1 bundle (or one object) from any producer to a ticket, keeping every object.

    A bundle holding an incident already known refreshes that ticket instead of opening another.
    Malformed content is refused as a whole with a message naming the object and property.
    """
    require_role(ctx, Role.ANALYST, "importing STIX")
    try:
        objects = check_content(_load(data))
    except InvalidStix as error:
        raise InvalidInput(f"Invalid STIX 2.1: {error}") from None
    if not objects:
        raise InvalidInput("The bundle holds no objects; there is nothing to import.")
    imported = mapping.ticket_of(objects)
    facts = imported.facts
    skipped: list[str] = []
    accepted = _accepted_observables(facts.observables, skipped)
    fields = _vocabulary(facts, skipped)
    existing = ticket_store.by_incident_id(ctx.session, facts.incident_id) if facts.incident_id else None
    now = ctx.now()
    if existing is None:
        draft = tickets.TicketDraft(
            title=facts.title,
            description=facts.description,
            severity=taxonomy.Severity(facts.severity),
            rsit=fields["rsit"],
            sectors=fields["sectors"],
            countries=fields["countries"],
            tlp=taxonomy.TLP(facts.tlp),
            pap=taxonomy.PAP(facts.pap),
            aware_at=facts.aware_at,
            incident_id=facts.incident_id or None,
            producer=imported.producer,
            status=TicketStatus(facts.status),
        )
        ticket = tickets.open_ticket(ctx, draft)
    else:
        ticket = existing
        _refresh(ctx, ticket, imported, fields)
    assert ticket.id is not None
    added: list[Observable] = []
    if accepted:
        seen_at = {o: when for o, when in accepted.items() if when is not None}
        _, added = tickets.add_observables(ctx, ticket, list(accepted), seen_at)
    notes_added = _add_notes(ctx, ticket, facts.notes)
    recorded = _store_received(
        ctx, ticket, objects, imported.producer, _keys(imported, objects, accepted, fields["countries"]), now
    )
    modelled = {"incident", "indicator", "note", "location", *patterns.SCO_TYPES}
    kept = sum(1 for obj in objects if obj["type"] not in modelled)
    timeline.record(
        ctx.session,
        at=now,
        actor=ctx.who,
        action="stix-imported",
        ticket_id=ticket.id,
        summary=f"imported {len(objects)} STIX object(s) from {imported.producer or 'an unnamed producer'}",
    )
    return ImportResult(ticket, existing is None, len(objects), recorded, len(added), notes_added, kept, skipped)


def _refresh(ctx: Context, ticket: Ticket, imported: mapping.ImportedTicket, fields: dict[str, Any]) -> None:
    """Apply a newer version of a received incident to the ticket holding it."""
    assert ticket.id is not None and imported.incident is not None
    stored = stix_objects.versions_of(ctx.session, ticket.incident_id, ticket.id)
    newest = max((row.modified or "" for row in stored), default="")
    if imported.incident["modified"] <= newest or ticket.producer != imported.producer:
        return  # an old or same version, or someone else rewriting an incident that is not theirs
    facts = imported.facts
    before = tickets.snapshot(ticket)
    ticket.title = facts.title[:300]
    ticket.description = facts.description
    ticket.severity = facts.severity
    ticket.status = facts.status
    ticket.rsit_classification, ticket.rsit_type = fields["rsit"] or (None, None)
    ticket.sectors = fields["sectors"]
    ticket.countries = fields["countries"] or ticket.countries
    ticket.tlp = facts.tlp
    ticket.pap = facts.pap
    ticket.updated_at = ctx.now()
    ctx.session.add(ticket)
    timeline.record(
        ctx.session,
        at=ctx.now(),
        actor=ctx.who,
        action="updated-from-stix",
        ticket_id=ticket.id,
        summary=f"new version {imported.incident['modified']} of {ticket.incident_id}",
        before=before,
        after=tickets.snapshot(ticket),
    )


def _add_notes(ctx: Context, ticket: Ticket, notes: list[NoteFacts]) -> int:
    assert ticket.id is not None
    known = {note.note_id for note in ticket_store.notes(ctx.session, ticket.id)}
    fresh = [note for note in notes if note.note_id not in known]
    for note in fresh:
        ctx.session.add(
            TicketNote(
                ticket_id=ticket.id,
                note_id=note.note_id,
                author=note.author[:128],
                text=note.text,
                created_at=note.created_at,
            )
        )
    return len(fresh)


def _store_received(
    ctx: Context,
    ticket: Ticket,
    objects: list[dict[str, Any]],
    producer: str | None,
    keys: dict[str, str],
    now: datetime,
) -> int:
    """Keep each received object version not already stored with the ticket."""
    assert ticket.id is not None
    latest = stix_objects.latest_for_ticket(ctx.session, ticket.id)
    rows: list[dict[str, Any]] = []
    for obj in objects:
        previous = latest.get(obj["id"])
        creator = obj.get("created_by_ref") if isinstance(obj.get("created_by_ref"), str) else producer
        if previous is not None:
            modified = obj.get("modified")
            if modified is None or previous.modified is None or modified <= previous.modified:
                continue  # held already: an SCO, a marking definition, or this or a later version
            if obj.get("created_by_ref") != previous.created_by_ref:
                raise Forbidden(
                    f"{obj['id']}: 'created_by_ref' is {obj.get('created_by_ref')!r} but the object was created by"
                    f" {previous.created_by_ref!r}; only its creator may issue a new version."
                )
        number = previous.version + 1 if previous is not None else 1
        key = keys.get(obj["id"]) or (previous.ticket_key if previous is not None else None)
        row = _row(obj, ticket_id=ticket.id, version=number, producer=creator, key=key, now=now, ours=False)
        rows.append(row)
        # Later versions of the same object in this bundle are numbered after this one.
        latest[obj["id"]] = StoredVersion(
            obj["id"], number, row["modified"], row["created_by_ref"], creator, key, None, ""
        )
    stix_objects.add_versions(ctx.session, rows)
    return len(rows)
