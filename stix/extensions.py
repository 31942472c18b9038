"""The property extensions Puente writes, registered with stix2 so that bad values are refused.

- OASIS Incident Core (v2.0.0) on the incident: determination, investigation status, criticality.
- TLP 2.0 on the marking definitions.
- Puente ticket: what a ticket has that STIX has no property for (lifecycle status, PAP, the
  time the CSIRT became aware), so that another Puente rebuilds the ticket without loss.

Registering is what makes `stix2.parse` (and `stix2.v21.Incident(...)`) check an extension's
content; passed as a plain dict it would be accepted unchecked.
"""

from __future__ import annotations

from typing import Any

import stix2
from stix2.properties import (
    EnumProperty,
    IntegerProperty,
    ListProperty,
    ReferenceProperty,
    StringProperty,
    TimestampProperty,
)

from puente.stix.markings import TLP_EXTENSION_ID

INCIDENT_CORE_ID = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"

DETERMINATIONS = ("blocked", "confirmed", "failed-attempt", "false-positive", "suspected")
INVESTIGATION_STATUSES = ("new", "open", "closed")

INCIDENT_CORE_DEFINITION: dict[str, Any] = {
    "id": INCIDENT_CORE_ID,
    "type": "extension-definition",
    "spec_version": "2.1",
    "name": "Incident Core Extension",
    "description": (
        "A core extension of the Incident object to allow core details of the Incident to be shared while"
        " tracking major details tied to the incident's timeline.  Multiple Incidents can be tied together"
        " via relationships if a higher degree of fidelity is needed across phases."
    ),
    "created": "2020-10-19T20:51:00.000Z",
    "modified": "2023-07-11T00:56:00.000Z",
    "created_by_ref": "identity--8ce3f695-d5a4-4dc8-9e93-a65af453a31a",
    "schema": "https://github.com/oasis-open/cti-stix-common-objects/tree/main/extension-definition-specifications/incident-ef7",
    "version": "2.0.0",
    "extension_types": ["property-extension"],
}


@stix2.v21.CustomExtension(
    INCIDENT_CORE_ID,
    [
        ("determination", EnumProperty(list(DETERMINATIONS), required=True)),
        ("investigation_status", EnumProperty(list(INVESTIGATION_STATUSES), required=True)),
        ("criticality", IntegerProperty(min=0, max=100)),
        ("detection_methods", ListProperty(StringProperty)),
        ("incident_types", ListProperty(StringProperty)),
        ("recoverability", StringProperty()),
        ("impact_refs", ListProperty(ReferenceProperty(valid_types=["impact"], spec_version="2.1"))),
        ("event_refs", ListProperty(ReferenceProperty(valid_types=["event"], spec_version="2.1"))),
        ("task_refs", ListProperty(ReferenceProperty(valid_types=["task"], spec_version="2.1"))),
        ("scores", ListProperty(stix2.properties.DictionaryProperty(spec_version="2.1"))),
        ("impacted_entity_counts", stix2.properties.DictionaryProperty(spec_version="2.1")),
    ],
)
class IncidentCore:
    extension_type = "property-extension"


@stix2.v21.CustomExtension(
    TLP_EXTENSION_ID,
    [("tlp_2_0", EnumProperty(["clear", "green", "amber", "amber+strict", "red"], required=True))],
)
class TLP2:
    extension_type = "property-extension"


PUENTE_TICKET_ID = "extension-definition--2ab77b89-2d6d-4e83-88e6-c7c7e0d74c1b"
PUENTE_PROJECT_IDENTITY = "identity--1e2041ef-e5af-472b-86d3-acea7bd7a3b9"
TICKET_STATUSES = ("new", "triage", "in-progress", "escalated", "mitigated", "resolved", "closed")
PAP_LEVELS = ("clear", "green", "amber", "red")

PUENTE_TICKET_DEFINITION: dict[str, Any] = {
    "id": PUENTE_TICKET_ID,
    "type": "extension-definition",
    "spec_version": "2.1",
    "name": "Puente ticket",
    "description": "What a Puente CSIRT ticket records beyond STIX and Incident Core, for lossless exchange.",
    "created": "2026-11-01T00:00:00.000Z",
    "modified": "2026-11-30T05:00:00.000Z",
    "created_by_ref": PUENTE_PROJECT_IDENTITY,
    "schema": (
        "Property extension of incident. status (required): the ticket's lifecycle state, one of "
        + ", ".join(TICKET_STATUSES)
        + ". pap (required): Permissible Actions Protocol level, one of "
        + ", ".join(PAP_LEVELS)
        + ". aware_at (required): STIX timestamp when the CSIRT became aware of the incident."
        " participants: the identities of the CSIRTs the incident is shared with, so that what one of them"
        " adds reaches the others. legal_basis: the ground on which the ticket's personal data may be shared"
        " (e.g. LGPD art. 7 IX); without it, a Puente shares none."
    ),
    "version": "1.2.0",
    "extension_types": ["property-extension"],
}


@stix2.v21.CustomExtension(
    PUENTE_TICKET_ID,
    [
        ("status", EnumProperty(list(TICKET_STATUSES), required=True)),
        ("pap", EnumProperty(list(PAP_LEVELS), required=True)),
        ("aware_at", TimestampProperty(required=True, precision="millisecond")),
        ("participants", ListProperty(ReferenceProperty(valid_types=["identity"], spec_version="2.1"))),
        ("legal_basis", StringProperty()),
    ],
)
class PuenteTicket:
    extension_type = "property-extension"
