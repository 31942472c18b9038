"""Tickets in from STIX 2.1 bundles of any producer.

Import checks the content strictly (stix.validation), opens a ticket for the incident (keeping the
producer's incident id and identity) or refreshes the ticket already holding it, and keeps every
object with the ticket, modelled or not. It needs a person with the analyst role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from puente import i18n
from puente.i18n import N_, Listed, N_plural, Phrase, _
from puente.services.context import Context, collector_paused
from puente.services.errors import InvalidInput
from puente.services.escalation import service as escalation
from puente.services.exchange import storable, versions
from puente.services.tickets import audit
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import Observable, ObservableKind, parse_observable
from puente.services.users.service import require_role
from puente.services.vocabularies import countries, taxonomy
from puente.stix import mapping, patterns, timestamps
from puente.stix.mapping import NoteFacts, ObservableFacts, TicketFacts
from puente.storage import stix_objects
from puente.storage import tickets as ticket_store
from puente.storage.models import Role, Ticket, TicketNote, TicketStatus


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
    # What changed on a ticket already held, as the timeline says it (`severity high → critical`).
    changes: list[i18n.Value] = field(default_factory=list)


def _load(data: bytes | str | dict[str, Any]) -> Any:
    if isinstance(data, dict):
        return data
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(_("Not JSON: {error}. Expected a STIX 2.1 bundle.").format(error=error)) from None


def _matching(kind: str, value: str, skipped: list[str]) -> Observable | None:
    """The form an observable is matched and de-duplicated in (the producer's objects keep theirs)."""
    try:
        observable = parse_observable(value)
    except InvalidInput as error:
        skipped.append(f"observable {kind} {value!r}: {error}")
        return None
    if observable.kind != (observable.kind if observable.kind.is_hash else ObservableKind(kind)):
        skipped.append(f"observable {kind} {value!r}: reads as {observable.kind.value}")
        return None
    return observable


@dataclass
class _Accepted:
    """The observables a ticket takes, dated, and the matching form of each value as the producer wrote it."""

    dated: dict[Observable, datetime | None]
    as_written: dict[tuple[str, str], Observable]


def _accepted_observables(found: list[ObservableFacts], skipped: list[str]) -> _Accepted:
    accepted = _Accepted({}, {})
    for item in found:
        if (observable := _matching(item.kind, item.value, skipped)) is not None:
            accepted.dated.setdefault(observable, item.added_at)
            accepted.as_written[(item.kind, item.value)] = observable
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
    accepted: _Accepted,
    countries_kept: list[str],
) -> dict[str, str]:
    """Ticket-local keys of received objects standing for what Puente would otherwise build itself."""
    keys: dict[str, str] = {}
    for indicator_id, found in imported.indicated.items():
        if (observable := accepted.as_written.get((found.kind, found.value))) is not None:
            keys.setdefault(f"indicator:{observable.kind.value}:{observable.value}", indicator_id)
    for sco_id, held in imported.held.items():
        for found in held:
            if (observable := accepted.as_written.get((found.kind, found.value))) is not None:
                keys.setdefault(f"sco:{observable.kind.value}:{observable.value}", sco_id)
                break  # one key a row: a file's other hashes get an SCO of their own
    for obj in objects:
        if obj["type"] == "location" and str(obj.get("country", "")).upper() in countries_kept:
            keys.setdefault(f"location:{str(obj['country']).upper()}", obj["id"])
    return {stix_id: key for key, stix_id in keys.items()}


def import_content(ctx: Context, data: bytes | str | dict[str, Any]) -> ImportResult:
    """Map a STIX 2.1 bundle (or one object) from any producer to a ticket, keeping every object.

    A bundle holding an incident already known refreshes that ticket instead of opening another; so does
    content without an incident imported again (its ticket's incident id is derived from the content).
    Importing the same bundle twice changes nothing. This is the one mapping of received STIX to a ticket.
    Malformed content is refused as a whole with a message naming the object and property.
    """
    require_role(ctx, Role.ANALYST, _("importing STIX"))
    with collector_paused():
        objects = _checked(data)
        result = take_in(ctx, objects)
        # Let go of the bundle before the collector is back: its first walk would take in every object still
        # alive (40 ms of a 40,000-object import).
        del objects
    return result


def _checked(data: bytes | str | dict[str, Any]) -> list[dict[str, Any]]:
    """The objects of a bundle, checked as STIX 2.1 and as what the database can hold."""
    # Imported here: validation loads stix2, which the commands that only read tickets never need.
    from puente.stix.validation import InvalidStix, check_content

    try:
        objects = check_content(_load(data))
    except InvalidStix as error:
        raise InvalidInput(_("Invalid STIX 2.1: {error}").format(error=error)) from None
    if not objects:
        raise InvalidInput(_("The bundle holds no objects; there is nothing to import."))
    clean = not isinstance(data, dict) and storable.nul_free(data)
    shallow = storable.shallow(objects)
    for obj in objects:
        if (problem := storable.problem(obj, nul_free=clean, shallow=shallow)) is not None:
            raise InvalidInput(
                _("Cannot import {value!r}: {problem}.")
                .format(value=str(obj["id"])[:80], problem=problem)
                .replace("\x00", "\\x00")
            )
    return objects


@dataclass(frozen=True)
class Sender:
    """A peer CSIRT whose objects are taken in (None for a file): its name in our directory, and the
    names of the CSIRTs whose identities we know, so notes say whose they are."""

    name: str
    names: Mapping[str, str] = field(default_factory=dict)
    page: bool = True  # a new high or critical ticket pages our on-call


def _with_held_incident(ctx: Context, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Content that refers to an incident we hold but does not carry it (a peer's note or indicator on a
    shared incident) is read together with the incident's latest stored version."""
    if any(o["type"] == "incident" for o in objects):
        return objects
    referred = {
        ref
        for o in objects
        for ref in (*o.get("object_refs", ()), o.get("source_ref"), o.get("target_ref"))
        if isinstance(ref, str) and ref.startswith("incident--")
    }
    for incident_id in sorted(referred):
        ticket = ticket_store.by_incident_id(ctx.session, incident_id)
        if ticket is not None and ticket.id is not None:
            held = stix_objects.versions_of(ctx.session, incident_id, ticket.id)
            if held:
                return [orjson.loads(held[-1].content), *objects]
    return objects


def take_in(ctx: Context, objects: list[dict[str, Any]], sender: Sender | None = None) -> ImportResult:
    """The one mapping from validated STIX objects to a ticket, for files and for peers alike: open the
    ticket (or find the one holding the incident), apply a newer version of the incident, add the
    observables and notes it lacks, and keep every object version.

    What changed on a ticket already held is one timeline entry (`csirt-co: severity high -> critical;
    +1 observable`).
    """
    with collector_paused():
        return _take_in(ctx, objects, sender)


def _take_in(ctx: Context, objects: list[dict[str, Any]], sender: Sender | None) -> ImportResult:
    objects = _with_held_incident(ctx, objects)
    imported = mapping.ticket_of(objects)
    facts = imported.facts
    skipped: list[str] = []
    accepted = _accepted_observables(facts.observables, skipped)
    fields = _vocabulary(facts, skipped)
    existing = ticket_store.by_incident_id(ctx.session, facts.incident_id) if facts.incident_id else None
    now = ctx.now()
    changes: list[i18n.Value] = []
    if existing is None:
        draft = tickets.TicketDraft(
            title=facts.title,
            description=facts.description,
            severity=taxonomy.Severity(facts.severity),
            rsit=fields["rsit"],
            sectors=fields["sectors"],
            countries=fields["countries"],
            labels=facts.labels,
            tlp=taxonomy.TLP(facts.tlp),
            pap=taxonomy.PAP(facts.pap),
            legal_basis=facts.legal_basis,
            aware_at=facts.aware_at,
            incident_id=facts.incident_id,
            producer=imported.producer,
            status=TicketStatus(facts.status),
            imported=True,
        )
        if sender is None:
            ticket = tickets.open_ticket(ctx, draft)
        else:
            ticket = tickets.open_for_peer(ctx, draft, sender.name, page_severity=sender.page)
    else:
        ticket = existing
        if imported.incident is not None:
            changes = _refresh(ctx, ticket, imported, fields, own_status=sender is not None)
    assert ticket.id is not None
    added: list[Observable] = []
    if accepted.dated:
        seen_at = {o: when for o, when in accepted.dated.items() if when is not None}
        _, added = tickets.add_observables(ctx, ticket, list(accepted.dated), seen_at, check_role=sender is None)
    notes_added = _add_notes(ctx, ticket, facts.notes, _note_authors(objects, sender))
    recorded = versions.store_received(
        ctx, ticket, objects, imported.producer, _keys(imported, objects, accepted, fields["countries"]), now
    )
    modelled = {"incident", "indicator", "note", "location", *patterns.SCO_TYPES}
    kept = sum(1 for obj in objects if obj["type"] not in modelled)
    if added:
        changes.append(Phrase.counted(N_plural("+{count} observable", "+{count} observables"), len(added)))
    if notes_added:
        changes.append(Phrase.counted(N_plural("+{count} note", "+{count} notes"), notes_added))
    source: i18n.Value = sender.name if sender is not None else imported.producer or Phrase(N_("an unnamed producer"))
    if sender is None and (existing is None or recorded or added or notes_added):  # the same bundle again: nothing
        ctx.record(
            at=now,
            action="stix-imported",
            ticket_id=ticket.id,
            summary=Phrase.counted(
                N_plural("imported {count} STIX object from {source}", "imported {count} STIX objects from {source}"),
                len(objects),
                source=source,
            ),
        )
    if existing is not None and changes:
        ticket.updated_at = now
        ctx.session.add(ticket)
        ctx.record(
            at=now,
            action="updated-from-stix",
            ticket_id=ticket.id,
            summary=Phrase(N_("{source}: {changes}"), {"source": source, "changes": Listed(tuple(changes))}),
        )
    return ImportResult(
        ticket, existing is None, len(objects), recorded, len(added), notes_added, kept, skipped, changes
    )


def _note_authors(objects: list[dict[str, Any]], sender: Sender | None) -> dict[str, str]:
    """Whose each note is, by note id, when it comes from a CSIRT we know: `lead (cert-br)`."""
    if sender is None:
        return {}
    return {
        o["id"]: sender.names[o["created_by_ref"]]
        for o in objects
        if o["type"] == "note" and o.get("created_by_ref") in sender.names
    }


def _refresh(
    ctx: Context, ticket: Ticket, imported: mapping.ImportedTicket, fields: dict[str, Any], *, own_status: bool = False
) -> list[i18n.Value]:
    """Apply a newer version of a received incident to the ticket holding it; returns what changed.

    With `own_status` (a peer's shared incident) our ticket's status stays that of our own work."""
    assert ticket.id is not None and imported.incident is not None
    stored = stix_objects.versions_of(ctx.session, ticket.incident_id, ticket.id)
    held = timestamps.newest([row.modified for row in stored if row.modified])
    if not timestamps.newer(imported.incident["modified"], held) or ticket.producer != imported.producer:
        return []  # an old or same version, or someone else rewriting an incident that is not theirs
    facts = imported.facts
    before = tickets.snapshot(ticket)
    ticket.title = facts.title[:300]
    description_changed = ticket.description != facts.description
    ticket.description = facts.description
    ticket.severity = facts.severity
    ticket.status = ticket.status if own_status else facts.status
    ticket.rsit_classification, ticket.rsit_type = fields["rsit"] or (None, None)
    ticket.sectors = fields["sectors"]
    ticket.countries = fields["countries"] or ticket.countries
    ticket.labels = facts.labels
    ticket.tlp = facts.tlp
    ticket.pap = facts.pap
    ticket.legal_basis = facts.legal_basis
    ticket.updated_at = ctx.now()
    ctx.session.add(ticket)
    after = tickets.snapshot(ticket)
    changes: list[i18n.Value] = [
        audit.change(key, before[key], value) for key, value in after.items() if before[key] != value
    ]
    if description_changed:
        changes.append(Phrase(N_("description changed")))
    ctx.record(
        action="updated-from-stix",
        ticket_id=ticket.id,
        summary=Phrase(
            N_("new version {version} of {incident}"),
            {"version": imported.incident["modified"], "incident": ticket.incident_id},
        ),
        before=before,
        after=after,
    )
    if after["severity"] != before["severity"]:
        escalation.page_for_severity(ctx, ticket, previous=taxonomy.Severity(before["severity"]))
    return changes


def _add_notes(ctx: Context, ticket: Ticket, notes: list[NoteFacts], csirts: Mapping[str, str]) -> int:
    assert ticket.id is not None
    known = {note.note_id for note in ticket_store.notes(ctx.session, ticket.id)}
    fresh = [note for note in notes if note.note_id not in known]
    for note in fresh:
        author = f"{note.author} ({csirts[note.note_id]})" if note.note_id in csirts else note.author
        ctx.session.add(
            TicketNote(
                ticket_id=ticket.id,
                note_id=note.note_id,
                author=author[:128],
                text=note.text,
                language=note.language,
                created_at=note.created_at,
            )
        )
    return len(fresh)
