"""Ticket <-> STIX 2.1 objects, both ways, without a database.

A ticket becomes: an `incident` (Incident Core + Puente ticket extensions, RSIT and sector
labels, the ticket reference in `external_references`), a `location` per affected country
(incident `located-at` location), per observable an SCO and an `indicator` (indicator
`indicates` incident, indicator `based-on` SCO), and a `note` per ticket note. Every object
carries the ticket's TLP 2.0 marking and every object that can (all but SCOs) our identity as
`created_by_ref`.

Ids: the incident's and notes' come with the ticket; SCOs' are deterministic; the others are
minted once (UUIDv4) and looked up afterwards by a ticket-local key, e.g. `location:BR`.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pycountry

from puente.stix import patterns
from puente.stix.assistance import language_of
from puente.stix.definitions import INCIDENT_CORE_ID, PAP_LEVELS, PUENTE_TICKET_ID, TICKET_STATUSES
from puente.stix.markings import MARKING_IDS, tlp_of
from puente.stix.patterns import Observable
from puente.stix.timestamps import format_timestamp, parse_timestamp

# Severity <-> Incident Core criticality (0-100): the value written, and the floor read back.
CRITICALITY = {"low": 25, "medium": 50, "high": 75, "critical": 95}
_SEVERITY_FLOORS = (("critical", 90), ("high", 65), ("medium", 40), ("low", 0))

# Lifecycle status -> (investigation_status, determination) for tools that only read Incident Core.
_INCIDENT_CORE_STATUS = {
    "new": ("new", "suspected"),
    "triage": ("open", "suspected"),
    "in-progress": ("open", "confirmed"),
    "escalated": ("open", "confirmed"),
    "mitigated": ("open", "blocked"),
    "resolved": ("closed", "confirmed"),
    "closed": ("closed", "confirmed"),
}
# Without our extension, an investigation status is all there is to go by.
_STATUS_OF_INVESTIGATION = {"new": "new", "open": "in-progress", "closed": "resolved"}

# Namespace of the incident ids Puente gives content that came without an incident.
_STAND_IN_NAMESPACE = uuid.UUID("6f1f7c3e-2d4b-5a8e-9c0d-1e2f3a4b5c6d")
_RSIT_LABEL = re.compile(r'rsit:(?P<classification>[a-z0-9-]+)="(?P<type>[a-z0-9-]+)"')
_SECTOR_PREFIX = "sector:"
_PAP_LABEL = re.compile(r"pap:(?P<level>clear|white|green|amber|red)", re.IGNORECASE)
# Labels a field of the ticket stands for, and MISP's own machine tags (misp:type=…, misp:tool=…).
_MAPPED_LABEL = re.compile(r"(?:rsit:|sector:|pap:|tlp:|misp:)", re.IGNORECASE)


@dataclass(frozen=True)
class ObservableFacts:
    kind: str
    value: str
    added_at: datetime | None = None


@dataclass(frozen=True)
class NoteFacts:
    note_id: str
    author: str
    text: str
    created_at: datetime
    language: str | None = None  # STIX `lang`: what the note is written in


@dataclass
class TicketFacts:
    """What of a ticket travels as STIX. Vocabulary values are the services.vocabularies.taxonomy strings."""

    incident_id: str
    title: str
    created_at: datetime
    aware_at: datetime | None = None
    reference: str = ""
    description: str = ""
    severity: str = "medium"
    status: str = "new"
    rsit_classification: str | None = None
    rsit_type: str | None = None
    sectors: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    tlp: str = "amber"
    pap: str = "amber"
    # The ground on which the ticket's personal data may be shared, as its CSIRT recorded it.
    legal_basis: str | None = None
    # The producer's labels no field above holds (MISP galaxy tags, OpenCTI labels).
    labels: list[str] = field(default_factory=list)
    observables: list[ObservableFacts] = field(default_factory=list)
    notes: list[NoteFacts] = field(default_factory=list)
    # The identities of the CSIRTs the incident is shared with (its originator says so).
    participants: list[str] = field(default_factory=list)


@dataclass
class TicketObjects:
    """A ticket's objects, and the ticket-local key of each object whose id was minted here."""

    objects: list[dict[str, Any]]
    keys: dict[str, str]


@dataclass
class ImportedTicket:
    """A ticket read from a producer's objects; `incident` is None when the bundle has none."""

    facts: TicketFacts
    incident: dict[str, Any] | None
    producer: str | None
    # The observable each one-comparison indicator stands for, by indicator id.
    indicated: dict[str, Observable] = field(default_factory=dict)
    # The observables each of the producer's SCOs holds, by SCO id.
    held: dict[str, list[Observable]] = field(default_factory=dict)


def identity(identity_id: str, name: str, country: str, created: datetime) -> dict[str, Any]:
    """The `identity` of a CSIRT: the `created_by_ref` of everything it creates."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id,
        "created": format_timestamp(created),
        "modified": format_timestamp(created),
        "name": name,
        "identity_class": "organization",
        "sectors": ["government-national"],
        "contact_information": f"National CSIRT ({country})",
    }


def _labels(facts: TicketFacts) -> list[str]:
    labels = []
    if facts.rsit_classification and facts.rsit_type:
        labels.append(f'rsit:{facts.rsit_classification}="{facts.rsit_type}"')
    labels += [f"{_SECTOR_PREFIX}{sector}" for sector in facts.sectors]
    return list(dict.fromkeys(labels + facts.labels))


def ticket_objects(
    facts: TicketFacts, *, identity_id: str, csirt_name: str, ids: Mapping[str, str], now: datetime
) -> TicketObjects:
    """Every STIX object of a ticket. `ids` maps keys to ids minted earlier; `now` dates new objects."""
    marking = [MARKING_IDS[facts.tlp]]
    common = {"spec_version": "2.1", "created_by_ref": identity_id}
    keys: dict[str, str] = {}

    def minted(key: str, stix_type: str) -> str:
        stix_id = ids.get(key) or f"{stix_type}--{uuid.uuid4()}"
        keys[stix_id] = key
        return stix_id

    def relationship(key: str, kind: str, source: str, target: str, created: datetime) -> dict[str, Any]:
        return {
            "type": "relationship",
            **common,
            "id": minted(key, "relationship"),
            "created": format_timestamp(created),
            "modified": format_timestamp(created),
            "relationship_type": kind,
            "source_ref": source,
            "target_ref": target,
            "object_marking_refs": marking,
        }

    about = f"{csirt_name} ticket {facts.reference}" if facts.reference else "the incident"
    investigation_status, determination = _INCIDENT_CORE_STATUS[facts.status]
    core: dict[str, Any] = {
        "extension_type": "property-extension",
        "determination": determination,
        "investigation_status": investigation_status,
        "criticality": CRITICALITY[facts.severity],
    }
    if facts.rsit_classification:
        core["incident_types"] = [facts.rsit_classification]
    incident: dict[str, Any] = {
        "type": "incident",
        **common,
        "id": facts.incident_id,
        "created": format_timestamp(facts.created_at),
        "modified": format_timestamp(facts.created_at),
        "name": facts.title,
    }
    if facts.description:
        incident["description"] = facts.description
    if labels := _labels(facts):
        incident["labels"] = labels
    if facts.reference:
        incident["external_references"] = [{"source_name": csirt_name, "external_id": facts.reference}]
    incident["object_marking_refs"] = marking
    incident["extensions"] = {
        INCIDENT_CORE_ID: core,
        PUENTE_TICKET_ID: {
            "extension_type": "property-extension",
            "status": facts.status,
            "pap": facts.pap,
            "aware_at": format_timestamp(facts.aware_at or facts.created_at),
            **({"participants": sorted(facts.participants)} if facts.participants else {}),
            **({"legal_basis": facts.legal_basis} if facts.legal_basis else {}),
        },
    }
    objects = [incident]
    for country in facts.countries:
        found = pycountry.countries.get(alpha_2=country)
        location: dict[str, Any] = {
            "type": "location",
            **common,
            "id": minted(f"location:{country}", "location"),
            "created": format_timestamp(now),
            "modified": format_timestamp(now),
            "name": found.name if found is not None else country,
            "country": country,
            "object_marking_refs": marking,
        }
        objects.append(location)
        objects.append(relationship(f"located-at:{country}", "located-at", facts.incident_id, location["id"], now))
    for item in facts.observables:
        if f"sco:{item.kind}:{item.value}" in ids:
            continue  # the producer's own object stands for it, served as they wrote it
        observable = Observable(item.kind, item.value)
        sco = patterns.sco(observable, marking)
        added = item.added_at or now
        indicator: dict[str, Any] = {
            "type": "indicator",
            **common,
            "id": minted(f"indicator:{item.kind}:{item.value}", "indicator"),
            "created": format_timestamp(added),
            "modified": format_timestamp(added),
            "name": f"{item.kind} {item.value}",
            "description": f"Observable of {about}.",
            "pattern": patterns.pattern(observable),
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": format_timestamp(added),
            "object_marking_refs": marking,
        }
        objects += [
            sco,
            indicator,
            relationship(f"indicates:{item.kind}:{item.value}", "indicates", indicator["id"], facts.incident_id, added),
            relationship(f"based-on:{item.kind}:{item.value}", "based-on", indicator["id"], sco["id"], added),
        ]
    for note in facts.notes:
        objects.append(
            {
                "type": "note",
                **common,
                "id": note.note_id,
                "created": format_timestamp(note.created_at),
                "modified": format_timestamp(note.created_at),
                "content": note.text,
                "authors": [note.author],
                "object_refs": [facts.incident_id],
                "object_marking_refs": marking,
                **({"lang": note.language} if note.language else {}),
            }
        )
    return TicketObjects(objects, keys)


def _severity(criticality: object) -> str:
    if not isinstance(criticality, int):
        return "medium"
    return next(severity for severity, floor in _SEVERITY_FLOORS if criticality >= floor)


def _producer(objects: Iterable[dict[str, Any]], incident: dict[str, Any] | None) -> str | None:
    if incident is not None and incident.get("created_by_ref"):
        return str(incident["created_by_ref"])
    creators = Counter(o["created_by_ref"] for o in objects if isinstance(o.get("created_by_ref"), str))
    return creators.most_common(1)[0][0] if creators else None


_CONTAINERS = ("report", "grouping", "x-mitre-collection", "campaign", "intrusion-set")


def _container(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What a bundle without an incident is about: its report or grouping (a MISP event), or the like."""
    for kind in _CONTAINERS:
        for obj in objects:
            if obj.get("type") == kind and obj.get("name"):
                return obj
    return None


def _stand_in_incident_id(objects: list[dict[str, Any]], producer: str | None) -> str:
    """The incident id of a ticket made from content without an incident: the same content (or a newer
    version of its container) finds the same ticket again."""
    container = _container(objects)
    anchor = container["id"] if container else " ".join(sorted(str(o["id"]) for o in objects))
    return f"incident--{uuid.uuid5(_STAND_IN_NAMESPACE, f'{producer} {anchor}')}"


def _title(objects: list[dict[str, Any]], incident: dict[str, Any] | None, names: Mapping[str, str]) -> str:
    if incident is not None:
        return str(incident.get("name") or "Untitled incident")
    if (container := _container(objects)) is not None:
        return f"{container['type']}: {container['name']}"
    producer = _producer(objects, None)
    return f"STIX content from {names.get(producer or '', 'an unnamed producer')}"


def ticket_of(objects: list[dict[str, Any]]) -> ImportedTicket:
    """Read a ticket out of a producer's (already validated) objects.

    The incident gives the ticket's fields; observables come from SCOs and from indicators whose
    pattern is one comparison on an observable Puente tracks; notes and countries are those tied
    to the incident (all of them when there is no incident). Values are returned as found:
    the caller checks them against Puente's vocabularies.
    """
    incidents = [o for o in objects if o["type"] == "incident"]
    incident = incidents[0] if incidents else None
    producer = _producer(objects, incident)
    names = {o["id"]: str(o.get("name", "")) for o in objects if o["type"] == "identity"}
    incident_id = incident["id"] if incident else None
    related: set[str] = set()
    for o in objects:
        if o["type"] == "relationship" and incident_id in (o.get("source_ref"), o.get("target_ref")):
            related.update((o["source_ref"], o["target_ref"]))
    ext = (incident or {}).get("extensions", {})
    core = ext.get(INCIDENT_CORE_ID, {})
    ours = ext.get(PUENTE_TICKET_ID, {})
    # Without an incident, the container of the content says what it is (MISP's event tags ride on its grouping).
    labelled = incident or _container(objects) or {}
    labels = [str(label) for label in labelled.get("labels", [])]

    status = ours.get("status") if ours.get("status") in TICKET_STATUSES else None
    pap = ours.get("pap") if ours.get("pap") in PAP_LEVELS else None
    if pap is None:
        pap_labels = [
            m["level"].lower().replace("white", "clear") for label in labels if (m := _PAP_LABEL.fullmatch(label))
        ]
        pap = pap_labels[0] if pap_labels else "amber"
    rsit = next((m for label in labels if (m := _RSIT_LABEL.fullmatch(label))), None)
    marked = [incident] if incident is not None else objects
    tlp = tlp_of([ref for o in marked for ref in o.get("object_marking_refs", [])]) or "amber"
    created = parse_timestamp(incident["created"]) if incident else None
    aware = parse_timestamp(ours["aware_at"]) if isinstance(ours.get("aware_at"), str) else created

    valid_from: dict[Observable, datetime] = {}
    found: list[Observable] = []
    indicated: dict[str, Observable] = {}
    held: dict[str, list[Observable]] = {}
    for o in objects:
        if o["type"] == "indicator" and o.get("pattern_type") == "stix":
            observable = patterns.observable_of_pattern(o["pattern"])
            if observable is not None:
                valid_from.setdefault(observable, parse_timestamp(o["valid_from"]))
                found.append(observable)
                indicated[o["id"]] = observable
        elif o["type"] in patterns.SCO_TYPES and (of_sco := patterns.observables_of_sco(o)):
            found += of_sco
            held[o["id"]] = of_sco
    countries = [
        str(o["country"]).upper()
        for o in objects
        if o["type"] == "location" and isinstance(o.get("country"), str) and (incident is None or o["id"] in related)
    ]
    notes = [
        NoteFacts(
            note_id=o["id"],
            author=str((o.get("authors") or [names.get(o.get("created_by_ref", ""), "")])[0] or "unknown"),
            text="\n\n".join(str(part) for part in (o.get("abstract"), o.get("content")) if part),
            created_at=parse_timestamp(o["created"]),
            language=language_of(o),
        )
        for o in objects
        if o["type"] == "note" and (incident_id is None or incident_id in o.get("object_refs", []))
    ]
    references = [r for r in (incident or {}).get("external_references", []) if r.get("external_id")]
    facts = TicketFacts(
        incident_id=incident_id or _stand_in_incident_id(objects, producer),
        reference=str(references[0]["external_id"]) if references else "",
        title=_title(objects, incident, names),
        created_at=created or datetime.now(UTC),
        aware_at=aware,
        description=str((incident or {}).get("description", "")),
        severity=_severity(core.get("criticality")),
        status=status or _STATUS_OF_INVESTIGATION.get(str(core.get("investigation_status")), "new"),
        rsit_classification=rsit["classification"] if rsit else None,
        rsit_type=rsit["type"] if rsit else None,
        sectors=[label.removeprefix(_SECTOR_PREFIX) for label in labels if label.startswith(_SECTOR_PREFIX)],
        labels=[label for label in labels if not _MAPPED_LABEL.match(label)],
        countries=list(dict.fromkeys(countries)),
        tlp=tlp,
        pap=pap,
        observables=[ObservableFacts(o.kind, o.value, valid_from.get(o)) for o in dict.fromkeys(found)],
        notes=notes,
        participants=[str(p) for p in ours.get("participants", ()) if isinstance(p, str)],
        legal_basis=str(ours["legal_basis"])[:300] if isinstance(ours.get("legal_basis"), str) else None,
    )
    return ImportedTicket(facts, incident, producer, indicated, held)
