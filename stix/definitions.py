"""The extension definitions Puente writes: their ids, allowed values and published definition objects.

- OASIS Incident Core (v2.0.0) on the incident: determination, investigation status, criticality.
- Puente ticket: what a ticket has that STIX has no property for (lifecycle status, PAP, the
  time the CSIRT became aware), so that another Puente rebuilds the ticket without loss.
TLP 2.0's definition is in `markings`. Plain data without stix2, so that building and reading objects
imports no stix2; `extensions` registers these with stix2 for the code that parses.
"""

from __future__ import annotations

from typing import Any

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
