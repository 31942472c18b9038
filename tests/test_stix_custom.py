"""Objects and properties Puente does not model are kept with the ticket and served back unchanged."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from puente.services.context import Runtime
from puente.services.errors import InvalidInput
from puente.services.exchange import importer
from puente.services.exchange import service as exchange
from puente.services.users import service as users
from puente.stix.definitions import INCIDENT_CORE_ID
from puente.storage import stix_objects
from puente.storage import tickets as ticket_store
from puente.storage.models import Role
from tests import misp
from tests.conftest import SHARED
from tests.support import acting_as

ATTACK = SHARED / "stix" / "attack" / "mobile-attack-17.1.json"
PRODUCER = "identity--4f2e8a31-6c1d-4b7e-9a0f-1d2c3b4a5e6f"
STAMP = "2026-11-20T10:00:00.000Z"
NEW_SDO = {
    "event": "extension-definition--4ca6de00-5b0d-45ef-a1dc-ea7279ea910e",
    "task": "extension-definition--2074a052-8be4-4932-849e-f5e7798e0030",
    "impact": "extension-definition--7cc33dd6-f6a1-489b-98ea-522d351d71b9",
}


def _sdo(stix_type: str, uuid: str, **props: Any) -> dict[str, Any]:
    return {
        "type": stix_type,
        "spec_version": "2.1",
        "id": f"{stix_type}--{uuid}",
        "created_by_ref": PRODUCER,
        "created": STAMP,
        "modified": STAMP,
        **props,
    }


def incident_core_bundle() -> dict[str, Any]:
    """An incident with Incident Core's own objects (event, task, impact: new SDOs stix2 does not know), a
    custom `x-` object, and custom properties on objects stix2 does know."""
    new = {kind: {ext: {"extension_type": "new-sdo"}} for kind, ext in NEW_SDO.items()}
    event = _sdo(
        "event",
        "1a2b3c4d-0000-4000-8000-000000000001",
        name="Phishing mail opened",
        status="occurred",
        extensions=new["event"],
    )
    task = _sdo(
        "task",
        "1a2b3c4d-0000-4000-8000-000000000002",
        name="Reset credentials",
        outcome="successful",
        extensions=new["task"],
    )
    impact = _sdo(
        "impact",
        "1a2b3c4d-0000-4000-8000-000000000003",
        impact_category="confidentiality",
        criticality=60,
        extensions={**new["impact"], "confidentiality": {"information_type": "credentials-user", "record_count": 40}},
    )
    incident = _sdo(
        "incident",
        "1a2b3c4d-0000-4000-8000-000000000004",
        name="Credential phishing at the ministry",
        x_acme_case="ACME-7781",
        extensions={
            INCIDENT_CORE_ID: {
                "extension_type": "property-extension",
                "determination": "confirmed",
                "investigation_status": "open",
                "impact_refs": [impact["id"]],
                "event_refs": [event["id"]],
                "task_refs": [task["id"]],
            }
        },
    )
    sensor = _sdo(
        "x-acme-sensor", "1a2b3c4d-0000-4000-8000-000000000005", name="edge-3", x_acme_zone="dmz", readings=[1, 2]
    )
    indicator = _sdo(
        "indicator",
        "1a2b3c4d-0000-4000-8000-000000000006",
        pattern="[domain-name:value = 'login-ministerio.example']",
        pattern_type="stix",
        valid_from=STAMP,
        x_acme_score=87,
    )
    identity = _sdo("identity", "4f2e8a31-6c1d-4b7e-9a0f-1d2c3b4a5e6f", name="CSIRT-PE", identity_class="organization")
    objects = [identity, incident, event, task, impact, sensor, indicator]
    return {"type": "bundle", "id": "bundle--1a2b3c4d-0000-4000-8000-0000000000ff", "objects": objects}


@pytest.fixture
def analyst(sqlite_runtime: Runtime) -> Runtime:
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    return sqlite_runtime


def import_and_serve_back(runtime: Runtime, data: dict[str, Any]) -> tuple[importer.ImportResult, dict[str, Any]]:
    """Import a bundle, then check each of its objects is kept and exported exactly as the producer wrote it."""
    with acting_as(runtime, "ana") as ctx:
        result = importer.import_content(ctx, copy.deepcopy(data))
    with runtime.unit_of_work(actor_name="operator") as ctx:
        exported = exchange.export_ticket(ctx, result.ticket.reference).bundle
        assert result.ticket.id is not None
        kept = stix_objects.latest_for_ticket(ctx.session, result.ticket.id)
    served = {o["id"]: o for o in exported["objects"]}
    for obj in data["objects"]:
        assert orjson.loads(kept[obj["id"]].content) == obj
        assert served[obj["id"]] == obj
    return result, exported


def test_incident_core_objects_custom_objects_and_custom_properties_are_kept_and_served_back(analyst: Runtime) -> None:
    data = incident_core_bundle()
    result, _ = import_and_serve_back(analyst, data)
    assert result.objects == len(data["objects"])
    assert result.ticket.title == "Credential phishing at the ministry"
    assert result.kept_unmodelled == 5  # identity, event, task, impact, x-acme-sensor


@pytest.mark.parametrize(
    ("prop", "value", "problem"),
    [
        ("created_by_ref", "CSIRT-PE", "not a valid STIX 2.1 identifier"),
        ("Zone", "dmz", "not a valid custom property name"),
        ("modified", "2026-11-20T09:00:00.000Z", "earlier than created"),
        ("created", "2026-11-20T10:00:00Z", "precise to the millisecond"),
        ("object_marking_refs", ["identity--4f2e8a31-6c1d-4b7e-9a0f-1d2c3b4a5e6f"], "must refer to marking-definition"),
    ],
)
def test_a_custom_object_is_refused_for_what_any_object_is_refused_naming_it(
    analyst: Runtime, prop: str, value: Any, problem: str
) -> None:
    data = incident_core_bundle()
    sensor = next(o for o in data["objects"] if o["type"] == "x-acme-sensor")
    sensor[prop] = value
    with acting_as(analyst, "ana") as ctx, pytest.raises(InvalidInput, match=rf"{sensor['id']}: '{prop}' .*{problem}"):
        importer.import_content(ctx, data)


def test_a_misp_export_imports_unmodified_keeping_its_custom_objects(analyst: Runtime, tmp_path: Path) -> None:
    event = misp.event()
    misp.add_common_attributes(event, 1)
    data = misp.to_stix(event)
    custom = [o for o in data["objects"] if o["type"] == "x-misp-attribute"]
    assert custom, "misp-stix exports comment and text attributes as x-misp-attribute objects"
    result, _ = import_and_serve_back(analyst, data)
    assert result.objects == len(data["objects"])


@pytest.mark.skipif(not ATTACK.is_file(), reason=f"{ATTACK} is absent: MITRE ATT&CK is read from ../shared")
def test_mitre_attack_mobile_imports_whole_with_its_x_mitre_objects(analyst: Runtime) -> None:
    data = json.loads(ATTACK.read_text())
    result, _ = import_and_serve_back(analyst, data)
    assert result.objects == len(data["objects"]) == 2148
    with analyst.unit_of_work(actor_name="operator") as ctx:
        assert result.ticket.id is not None
        kept = stix_objects.latest_for_ticket(ctx.session, result.ticket.id)
        assert sum(1 for stix_id in kept if stix_id.startswith("x-mitre-")) == 40


OPENCTI_EXTENSION = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"
OPENCTI_SCO_EXTENSION = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82"


def opencti_bundle() -> dict[str, Any]:
    """An incident as OpenCTI exports it: its property extensions, `x_opencti_*` properties, OpenCTI's own
    incident fields (custom properties without a prefix) and observables scored by OpenCTI."""
    platform = "identity--8d7b1e3a-2c4f-4a5b-9e6d-7f8a9b0c1d2e"

    def opencti(kind: str, uuid: str) -> dict[str, Any]:
        return {
            OPENCTI_EXTENSION: {
                "extension_type": "property-extension",
                "id": uuid,
                "type": kind,
                "created_at": "2026-11-20T10:00:00.000Z",
                "updated_at": "2026-11-20T10:05:00.000Z",
                "is_inferred": False,
                "creator_ids": ["88ec0c6a-13ce-5e39-b486-354fe4a7084f"],
            }
        }

    incident = _sdo(
        "incident",
        "2b3c4d5e-0000-4000-8000-000000000001",
        created_by_ref=platform,
        name="Ransomware at the port authority",
        description="Encrypted terminal systems.",
        incident_type="ransomware",
        severity="high",
        source="partner",
        first_seen="2026-11-19T22:00:00.000Z",
        labels=["ransomware", "critical-infrastructure"],
        confidence=80,
        object_marking_refs=["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],
        extensions=opencti("Incident", "5a0b3f2e-7c1d-4e8f-9a0b-1c2d3e4f5a6b"),
    )
    ip = {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": "ipv4-addr--2b3c4d5e-0000-4000-8000-000000000002",
        "value": "203.0.113.66",
        "x_opencti_score": 90,
        "x_opencti_description": "C2 of the ransomware affiliate",
        "extensions": {
            OPENCTI_SCO_EXTENSION: {
                "extension_type": "property-extension",
                "score": 90,
                "labels": ["c2"],
                "created_by_ref": platform,
            }
        },
    }
    indicator = _sdo(
        "indicator",
        "2b3c4d5e-0000-4000-8000-000000000003",
        created_by_ref=platform,
        name="203.0.113.66",
        pattern="[ipv4-addr:value = '203.0.113.66']",
        pattern_type="stix",
        valid_from="2026-11-20T10:00:00.000Z",
        x_opencti_score=90,
        x_opencti_detection=True,
        x_opencti_main_observable_type="IPv4-Addr",
        x_mitre_platforms=["windows"],
        extensions=opencti("Indicator", "6b1c4a3f-8d2e-4f9a-8b1c-2d3e4f5a6b7c"),
    )
    relation = _sdo(
        "relationship",
        "2b3c4d5e-0000-4000-8000-000000000004",
        created_by_ref=platform,
        relationship_type="indicates",
        source_ref=indicator["id"],
        target_ref=incident["id"],
        x_opencti_source_ref_name="203.0.113.66",
        extensions=opencti("indicates", "7c2d5b4a-9e3f-4a0b-8c2d-3e4f5a6b7c8d"),
    )
    identity = _sdo(
        "identity",
        "8d7b1e3a-2c4f-4a5b-9e6d-7f8a9b0c1d2e",
        name="CSIRT-CL OpenCTI",
        identity_class="organization",
        x_opencti_organization_type="csirt",
    )
    del identity["created_by_ref"]
    return {
        "type": "bundle",
        "id": "bundle--2b3c4d5e-0000-4000-8000-0000000000ff",
        "objects": [identity, incident, ip, indicator, relation],
    }


def test_an_opencti_export_imports_without_loss(analyst: Runtime) -> None:
    data = opencti_bundle()
    result, exported = import_and_serve_back(analyst, data)
    assert result.ticket.title == "Ransomware at the port authority"
    assert result.ticket.tlp == "amber" and result.ticket.countries == []
    with analyst.unit_of_work(actor_name="operator") as ctx:
        assert result.ticket.id is not None
        observables = [(o.kind, o.value) for o in ticket_store.observables(ctx.session, result.ticket.id)]
    assert observables == [("ipv4-addr", "203.0.113.66")]
    # OpenCTI's indicator and SCO stand for the observable: Puente adds no second one of either.
    assert sum(1 for o in exported["objects"] if o["type"] in ("ipv4-addr", "indicator")) == 2
