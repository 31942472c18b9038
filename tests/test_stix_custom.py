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
from puente.stix.extensions import INCIDENT_CORE_ID
from puente.storage import stix_objects
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
