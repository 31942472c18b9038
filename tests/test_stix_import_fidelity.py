"""Import is faithful: the producer's locations, objects and values stay theirs, and importing again changes nothing."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, func, select

from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.errors import InvalidInput
from puente.services.exchange import importer
from puente.services.exchange import service as exchange
from puente.services.tickets.observables import parse_observables
from puente.services.users import service as users
from puente.stix.patterns import SCO_TYPES
from puente.storage import stix_objects
from puente.storage import tickets as ticket_store
from puente.storage.models import Role, TimelineEvent
from tests import misp
from tests.conftest import SHARED
from tests.support import acting_as

OASIS_EXAMPLES = SHARED / "stix" / "oasis-examples"
PRODUCER = "identity--4f2e8a31-6c1d-4b7e-9a0f-1d2c3b4a5e6f"
STAMP = "2026-11-20T10:00:00.000Z"


@pytest.fixture
def analyst(sqlite_runtime: Runtime) -> Runtime:
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    return sqlite_runtime


def import_bundle(runtime: Runtime, data: dict[str, Any]) -> importer.ImportResult:
    with acting_as(runtime, "ana") as ctx:
        return importer.import_content(ctx, copy.deepcopy(data))


def export(runtime: Runtime, reference: str) -> dict[str, Any]:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        return exchange.export_ticket(ctx, reference).bundle


def producer_bundle() -> dict[str, Any]:
    """Another CSIRT's incident with observables written their way (a capitalised domain and e-mail domain)
    as SCOs with ids of their own, not the deterministic ones."""
    common = {"spec_version": "2.1", "created_by_ref": PRODUCER, "created": STAMP, "modified": STAMP}
    incident = {"type": "incident", "id": "incident--7b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "name": "Defacements"}
    url = {"type": "url", "spec_version": "2.1", "id": "url--9b0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a"}
    domain = {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--1c2d3e4f-5a6b-4c7d-9e8f-0a1b2c3d4e5f"}
    email = {"type": "email-addr", "spec_version": "2.1", "id": "email-addr--4e5f6a7b-8c9d-4e0f-8a1b-2c3d4e5f6a7b"}
    identity = {"type": "identity", "id": PRODUCER, "name": "CSIRT-PE", "identity_class": "organization"}
    objects = [
        {**identity, **common},
        {**incident, **common},
        {**url, "value": "http://xn--bcher-kva.example/%C3%A4"},
        {**domain, "value": "Defaced.Example"},
        {**email, "value": "Webmaster@Defaced.Example"},
        {
            "type": "relationship",
            **common,
            "id": "relationship--2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
            "relationship_type": "related-to",
            "source_ref": incident["id"],
            "target_ref": url["id"],
        },
    ]
    return {"type": "bundle", "id": "bundle--3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b", "objects": objects}


def scos(bundle: dict[str, Any]) -> Counter[tuple[str, str]]:
    return Counter(
        (o["type"], json.dumps(o.get("value") or o.get("hashes"))) for o in bundle["objects"] if o["type"] in SCO_TYPES
    )


def test_observables_keep_the_producers_objects_and_values_normalised_only_for_matching(analyst: Runtime) -> None:
    data = producer_bundle()
    result = import_bundle(analyst, data)
    with analyst.unit_of_work(actor_name="operator") as ctx:
        assert result.ticket.id is not None
        observables = {(o.kind, o.value) for o in ticket_store.observables(ctx.session, result.ticket.id)}
    # The ticket matches on one form: lower-case names and e-mail domains.
    assert observables == {
        ("url", "http://xn--bcher-kva.example/%C3%A4"),
        ("domain-name", "defaced.example"),
        ("email-addr", "Webmaster@defaced.example"),
    }
    served = export(analyst, result.ticket.reference)
    assert scos(served) == scos(data)  # no second SCO for a value the producer had
    by_id = {o["id"]: o for o in served["objects"]}
    for obj in data["objects"]:
        assert by_id[obj["id"]] == obj


@pytest.mark.skipif(not OASIS_EXAMPLES.is_dir(), reason="../shared/stix/oasis-examples is absent")
def test_a_report_without_locations_gets_none_of_ours(analyst: Runtime) -> None:
    data = json.loads((OASIS_EXAMPLES / "apt1.json").read_text())
    result = import_bundle(analyst, data)
    assert result.ticket.countries == []
    served = export(analyst, result.ticket.reference)
    assert not [o for o in served["objects"] if o["type"] == "location"]


def test_a_misp_export_gets_no_second_observable_object(analyst: Runtime) -> None:
    event = misp.event()
    misp.add_common_attributes(event, 2)
    data = misp.to_stix(event)
    result = import_bundle(analyst, data)
    assert scos(export(analyst, result.ticket.reference)) == scos(data)


def _state(runtime: Runtime) -> tuple[Any, ...]:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        listing = [
            (t.reference, t.title, t.updated_at, t.countries, t.tlp, t.pap) for t in ticket_store.listing(ctx.session)
        ]
        versions = [
            sorted((row.stix_id, row.version) for row in stix_objects.latest_for_ticket(ctx.session, t.id).values())
            for t in ticket_store.listing(ctx.session)
            if t.id is not None
        ]
        timeline = ctx.session.exec(select(func.count()).select_from(TimelineEvent)).one()
    return listing, versions, timeline


@pytest.mark.parametrize("source", ["incident", "misp", "apt1"])
def test_importing_the_same_bundle_again_changes_nothing(analyst: Runtime, source: str) -> None:
    if source == "apt1" and not OASIS_EXAMPLES.is_dir():
        pytest.skip("../shared/stix/oasis-examples is absent")
    if source == "incident":
        data = producer_bundle()
    elif source == "misp":
        event = misp.event()
        misp.add_common_attributes(event, 1)
        data = misp.to_stix(event)
    else:
        data = json.loads((OASIS_EXAMPLES / "apt1.json").read_text())
    first = import_bundle(analyst, data)
    before = _state(analyst)
    again = import_bundle(analyst, data)
    assert again.ticket.reference == first.ticket.reference and not again.created
    assert (again.new_versions, again.observables_added, again.notes_added) == (0, 0, 0)
    assert _state(analyst) == before


def test_an_internationalised_url_is_written_with_a_punycode_host_and_an_iri_is_refused(analyst: Runtime) -> None:
    with acting_as(analyst, "ana") as ctx:
        [observable] = parse_observables(["hxxp://bücher[.]example/ä"])
    assert observable.value == "http://xn--bcher-kva.example/%C3%A4"  # not http://b%C3%BCcher.example/…
    data = producer_bundle()
    next(o for o in data["objects"] if o["type"] == "url")["value"] = "http://bücher.example/ä"
    with acting_as(analyst, "ana") as ctx, pytest.raises(InvalidInput, match=r"url--\S+: 'value' .* RFC 3986 URI"):
        importer.import_content(ctx, data)


@pytest.mark.parametrize("microsecond", [0, 123456])
def test_a_time_stored_in_bulk_reads_compares_and_sorts_as_one_stored_by_the_orm(
    analyst: Runtime, clock: ManualClock, microsecond: int
) -> None:
    """An import stores its versions in bulk, other writes store one row at a time: on SQLite a time is text,
    so both must write the same text (a whole second was "12:00:00" in bulk and "12:00:00.000000" by the
    ORM, and a version stored in bulk at a moment was not found at that moment)."""
    moment = datetime(2026, 1, 5, 12, 0, 0, microsecond, tzinfo=UTC)
    clock.set(moment)
    result = import_bundle(analyst, producer_bundle())
    Version = stix_objects.StixObjectVersion
    one_by_one = {"before": moment - timedelta(seconds=1), "same": moment, "after": moment + timedelta(microseconds=1)}
    with analyst.unit_of_work() as ctx:
        for name, at in one_by_one.items():
            ctx.session.add(
                Version(ticket_id=result.ticket.id, stix_id=name, stix_type="note", content="{}", stored_at=at)
            )
    with analyst.unit_of_work() as ctx:
        of_ticket, stored_at = (
            select(Version.stix_id).where(Version.ticket_id == result.ticket.id),
            col(Version.stored_at),
        )
        at_the_moment = ctx.session.exec(of_ticket.where(stored_at == moment)).all()
        since = ctx.session.exec(of_ticket.where(stored_at >= moment)).all()
        in_order = ctx.session.exec(of_ticket.order_by(stored_at)).all()
        texts = (
            ctx.session.connection()
            .exec_driver_sql(
                "SELECT DISTINCT stored_at FROM stix_objects"
                " WHERE ticket_id = ? AND stix_id NOT IN ('before', 'after')",
                (result.ticket.id,),
            )
            .all()
        )
    assert len(texts) == 1, f"one moment written as {texts}"
    assert len(at_the_moment) == result.new_versions + 1 and "same" in at_the_moment
    assert sorted(since) == sorted([*at_the_moment, "after"])
    assert in_order[0] == "before" and in_order[-1] == "after" and sorted(in_order[1:-1]) == sorted(at_the_moment)


def test_two_versions_of_an_object_in_one_bundle_are_stored_in_order_of_their_time(analyst: Runtime) -> None:
    """A TAXII collection read with version=all carries every version of an object: each is kept, numbered
    after the one before it, and an older version after a newer one is not stored."""
    data = producer_bundle()
    relationship = data["objects"][-1]
    newer = {**relationship, "modified": "2026-11-21T10:00:00.000Z", "description": "Seen again"}
    older = {**relationship, "modified": "2026-11-20T12:00:00.000Z", "description": "Out of order"}
    data["objects"] += [newer, older]
    result = import_bundle(analyst, data)
    assert result.new_versions == len(data["objects"]) - 1
    with analyst.unit_of_work(actor_name="operator") as ctx:
        stored = stix_objects.versions_of(ctx.session, relationship["id"], result.ticket.id)
    assert [(row.version, row.modified) for row in stored] == [(1, STAMP), (2, newer["modified"])]
