"""Tickets exported and imported as STIX 2.1 through the domain service, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import stix2
from click.testing import CliRunner
from stix2validator import ValidationOptions, validate_instance

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.cli.main import main
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.errors import Forbidden, InvalidInput
from puente.services.exchange import importer, versions
from puente.services.exchange import service as exchange
from puente.services.tickets import notes
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import parse_observables
from puente.services.users import service as users
from puente.services.vocabularies.taxonomy import PAP, TLP, Severity
from puente.stix.definitions import INCIDENT_CORE_ID
from puente.storage import stix_objects
from puente.storage import tickets as ticket_store
from puente.storage.models import Role, TicketStatus
from tests.conftest import SHARED, make_runtime
from tests.support import acting_as

OASIS_EXAMPLES = SHARED / "stix" / "oasis-examples"
ACCEPTED_WARNINGS = ("{202}",)  # see tests/test_stix_mapping.py


def analyst(runtime: Runtime, name: str = "ana") -> None:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, name, Role.LEAD)


def open_rich_ticket(runtime: Runtime) -> str:
    with acting_as(runtime, "ana") as ctx:
        draft = tickets.TicketDraft(
            title="C2 beaconing at the grid operator",
            description="Seen by two utilities.",
            severity=Severity.HIGH,
            rsit=("malicious-code", "c2-server"),
            sectors=["energy"],
            countries=["CO", "BR"],
            tlp=TLP.AMBER,
            pap=PAP.GREEN,
            observables=parse_observables(
                [
                    "198.51.100.7 198.51.100.0/24 2001:db8::1 evil[.]example hxxp://evil[.]example/payload.exe",
                    "ceo@evil.example " + "a" * 32 + " " + "b" * 40 + " " + "c" * 64,
                ]
            ),
        )
        reference = tickets.open_ticket(ctx, draft).reference
        notes.add_note(ctx, reference, "Sinkholed evil.example.")
    return reference


def export(runtime: Runtime, reference: str) -> exchange.ExportResult:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        return exchange.export_ticket(ctx, reference)


@pytest.fixture
def ours(runtime: Runtime) -> Runtime:
    analyst(runtime)
    return runtime


@pytest.fixture
def theirs(sqlite_template: Path, clock: ManualClock, tmp_path: Path) -> Iterator[Runtime]:
    """Another CSIRT's Puente, in its own database."""
    path = tmp_path / "theirs.db"
    shutil.copy(sqlite_template, path)
    rt = make_runtime(
        f"sqlite:///{path}", clock, tmp_path / "theirs", PUENTE_CSIRT_NAME="CSIRT-BR", PUENTE_CSIRT_COUNTRY="BR"
    )
    analyst(rt, "joao")
    yield rt
    rt.engine.dispose()


def test_export_is_a_valid_stix_bundle_with_every_part_of_the_ticket(ours: Runtime) -> None:
    reference = open_rich_ticket(ours)
    result = export(ours, reference)
    data = result.bundle
    stix2.parse(json.dumps(data))
    report = validate_instance(data, ValidationOptions(version="2.1"))
    assert report.is_valid, [str(e) for e in report.errors]
    assert [w for w in report.warnings if not str(w).split(": ", 1)[-1].startswith(ACCEPTED_WARNINGS)] == []
    counts = result.counts()
    assert counts["incident"] == 1 and counts["location"] == 2 and counts["indicator"] == 9 and counts["note"] == 1
    assert counts["marking-definition"] == 1 and counts["extension-definition"] == 3 and counts["identity"] == 1
    incident = next(o for o in data["objects"] if o["type"] == "incident")
    assert incident["id"] == result.ticket.incident_id
    assert incident["extensions"][INCIDENT_CORE_ID]["criticality"] == 75
    assert incident["external_references"] == [{"source_name": "CSIRT-CO", "external_id": reference}]


def test_an_unchanged_ticket_exports_the_same_versions_and_a_change_makes_a_new_one(
    ours: Runtime, clock: ManualClock
) -> None:
    reference = open_rich_ticket(ours)
    first = export(ours, reference)
    clock.advance(timedelta(minutes=5))
    again = export(ours, reference)
    assert again.new_versions == 0
    assert sorted(map(json.dumps, first.bundle["objects"])) == sorted(map(json.dumps, again.bundle["objects"]))

    clock.advance(timedelta(minutes=5))
    with acting_as(ours, "ana") as ctx:
        tickets.update(ctx, reference, tickets.TicketChanges(severity=Severity.CRITICAL))
    changed = export(ours, reference)
    assert changed.new_versions == 1  # only the incident changed
    before = next(o for o in first.bundle["objects"] if o["type"] == "incident")
    after = next(o for o in changed.bundle["objects"] if o["type"] == "incident")
    assert after["id"] == before["id"] and after["created"] == before["created"]
    assert after["modified"] > before["modified"]
    assert after["extensions"][INCIDENT_CORE_ID]["criticality"] == 95
    with ours.unit_of_work(actor_name="operator") as ctx:
        stored = versions.versions_of(ctx, before["id"])
    assert stored == [before, after]


def test_a_changed_tlp_reissues_objects_and_never_rewrites_history(ours: Runtime, clock: ManualClock) -> None:
    reference = open_rich_ticket(ours)
    first = export(ours, reference)
    clock.advance(timedelta(hours=1))
    with acting_as(ours, "ana") as ctx:
        tickets.update(ctx, reference, tickets.TicketChanges(tlp=TLP.RED))
    red = export(ours, reference)
    red_id = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    assert all(
        o["object_marking_refs"] == [red_id]
        for o in red.bundle["objects"]
        if "created_by_ref" in o and o["type"] != "extension-definition"
    )
    assert any(o["id"] == red_id and o["name"] == "TLP:RED" for o in red.bundle["objects"])
    with ours.unit_of_work(actor_name="operator") as ctx:
        for obj in first.bundle["objects"]:
            if obj["type"] in ("indicator", "note", "location"):
                assert versions.versions_of(ctx, obj["id"])[0] == obj


def test_ticket_to_stix_to_ticket_in_another_puente_keeps_every_mapped_field(ours: Runtime, theirs: Runtime) -> None:
    reference = open_rich_ticket(ours)
    payload = exchange.serialize(export(ours, reference).bundle)
    with acting_as(theirs, "joao") as ctx:
        result = importer.import_content(ctx, payload)
        assert result.created and result.skipped == []
        copy = result.ticket.reference
    with ours.unit_of_work(actor_name="operator") as ctx:
        original = ticket_store.by_reference(ctx.session, reference)
        assert original is not None and original.id is not None
        original_observables = [
            (o.kind, o.value, o.added_at) for o in ticket_store.observables(ctx.session, original.id)
        ]
        original_notes = [
            (n.note_id, n.author, n.text, n.created_at) for n in ticket_store.notes(ctx.session, original.id)
        ]
        producer = exchange.our_identity(ctx)["id"]
    with theirs.unit_of_work(actor_name="operator") as ctx:
        imported = ticket_store.by_reference(ctx.session, copy)
        assert imported is not None and imported.id is not None
        fields = (
            "title",
            "description",
            "severity",
            "status",
            "rsit_classification",
            "rsit_type",
            "sectors",
            "countries",
            "labels",
            "tlp",
            "pap",
            "aware_at",
            "incident_id",
        )
        assert {f: getattr(imported, f) for f in fields} == {f: getattr(original, f) for f in fields}
        assert imported.producer == producer
        assert [
            (o.kind, o.value, o.added_at) for o in ticket_store.observables(ctx.session, imported.id)
        ] == original_observables
        assert [
            (n.note_id, n.author, n.text, n.created_at) for n in ticket_store.notes(ctx.session, imported.id)
        ] == original_notes
    # Their export re-issues our objects exactly as we made them: only their identity is added.
    their_bundle = export(theirs, copy).bundle
    ours_again = export(ours, reference).bundle
    theirs_by_id = {o["id"]: o for o in their_bundle["objects"]}
    for obj in ours_again["objects"]:
        if obj["type"] != "identity":
            assert theirs_by_id[obj["id"]] == obj


def test_a_newer_version_from_the_producer_refreshes_the_ticket(
    ours: Runtime, theirs: Runtime, clock: ManualClock
) -> None:
    reference = open_rich_ticket(ours)
    with acting_as(theirs, "joao") as ctx:
        copy = importer.import_content(ctx, export(ours, reference).bundle).ticket.reference
    clock.advance(timedelta(hours=2))
    with acting_as(ours, "ana") as ctx:
        tickets.move(ctx, reference, TicketStatus.IN_PROGRESS)
        tickets.add_observables(ctx, reference, parse_observables(["203.0.113.9"]))
    with acting_as(theirs, "joao") as ctx:
        result = importer.import_content(ctx, export(ours, reference).bundle)
        assert not result.created and result.ticket.reference == copy
        assert result.ticket.status == "in-progress" and result.observables_added == 1
        incident_versions = versions.versions_of(ctx, result.ticket.incident_id)
        assert len(incident_versions) == 2


def test_a_peer_cannot_issue_a_version_of_our_incident(ours: Runtime, theirs: Runtime, clock: ManualClock) -> None:
    reference = open_rich_ticket(ours)
    data = export(ours, reference).bundle
    with acting_as(theirs, "joao") as ctx:
        importer.import_content(ctx, data)
        mallory = "identity--9f2b6c47-0a43-4e1e-8d2e-3f5a7b9c1d22"
        forged = json.loads(json.dumps(data))
        incident = next(o for o in forged["objects"] if o["type"] == "incident")
        incident["created_by_ref"] = mallory
        incident["modified"] = "2030-01-01T00:00:00.000000Z"
        with pytest.raises(Forbidden, match=rf"{incident['id']}: 'created_by_ref'.*only its creator"):
            importer.import_content(ctx, forged)


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (
            lambda o: o.update(pattern="[ipv4-addr:value = '198.51.100.7'") if o["type"] == "indicator" else None,
            r"indicator--\S+: 'pattern'",
        ),
        (
            lambda o: (
                o["extensions"][INCIDENT_CORE_ID].update(determination="maybe") if o["type"] == "incident" else None
            ),
            r"incident--\S+: 'determination'",
        ),
        (lambda o: o.update(created="yesterday") if o["type"] == "note" else None, r"note--\S+: 'created'"),
        (
            lambda o: (
                o.update(target_ref="marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1")
                if o["type"] == "relationship"
                else None
            ),
            r"relationship--\S+: 'target_ref'",
        ),
    ],
)
def test_malformed_content_is_refused_whole_naming_object_and_property(
    ours: Runtime, theirs: Runtime, breakage, expected
) -> None:  # type: ignore[no-untyped-def]
    data = export(ours, open_rich_ticket(ours)).bundle
    for obj in data["objects"]:
        breakage(obj)
    with acting_as(theirs, "joao") as ctx, pytest.raises(InvalidInput, match=expected):
        importer.import_content(ctx, data)
    with theirs.unit_of_work(actor_name="operator") as ctx:
        assert ticket_store.listing(ctx.session, limit=5) == []


def test_not_json_is_refused_plainly(theirs: Runtime) -> None:
    with acting_as(theirs, "joao") as ctx, pytest.raises(InvalidInput, match="Not JSON"):
        importer.import_content(ctx, b"{nope")
    assert gc.isenabled(), "the garbage collector, held off during an import, runs again after a refused one"


@pytest.mark.skipif(
    not OASIS_EXAMPLES.is_dir(), reason="../shared/stix/oasis-examples is absent: third-party STIX is read from there"
)
@pytest.mark.parametrize(
    "name", sorted(p.name for p in OASIS_EXAMPLES.glob("*.json")) if OASIS_EXAMPLES.is_dir() else []
)
def test_oasis_example_bundles_import_and_every_object_is_kept(sqlite_runtime: Runtime, name: str) -> None:
    analyst(sqlite_runtime)
    data = json.loads((OASIS_EXAMPLES / name).read_text())
    objects = data["objects"] if data.get("type") == "bundle" else [data]
    with acting_as(sqlite_runtime, "ana") as ctx:
        result = importer.import_content(ctx, data)
        reference = result.ticket.reference
        assert result.objects == len(objects)
    exported = export(sqlite_runtime, reference).bundle
    exported_ids = {o["id"] for o in exported["objects"]}
    assert {o["id"] for o in objects} <= exported_ids
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        ticket = ticket_store.by_reference(ctx.session, reference)
        assert ticket is not None and ticket.id is not None
        kept = stix_objects.latest_for_ticket(ctx.session, ticket.id)
        for obj in objects:
            assert orjson.loads(kept[obj["id"]].content) == obj
    stix2.parse(json.dumps(exported), allow_custom=True)


@pytest.mark.skipif(not OASIS_EXAMPLES.is_dir(), reason="../shared/stix/oasis-examples is absent")
def test_indicators_of_a_third_party_bundle_become_observables(sqlite_runtime: Runtime) -> None:
    analyst(sqlite_runtime)
    data = json.loads((OASIS_EXAMPLES / "indicator-for-c2-ip-address.json").read_text())
    with acting_as(sqlite_runtime, "ana") as ctx:
        result = importer.import_content(ctx, data)
        assert result.ticket.id is not None
        observables = ticket_store.observables(ctx.session, result.ticket.id)
    assert [(o.kind, o.value) for o in observables] == [("ipv4-addr", "10.0.0.0")]


def test_puente_export_prints_the_bundle(ours: Runtime, database_url: str, tmp_path: Path) -> None:
    reference = open_rich_ticket(ours)
    env = {
        "PUENTE_DATABASE_URL": database_url,
        "PUENTE_CSIRT_NAME": "CSIRT-CO",
        "PUENTE_CSIRT_COUNTRY": "CO",
        "PUENTE_VAR_DIR": str(tmp_path / "var"),
    }
    printed = CliRunner().invoke(main, ["export", reference], env=env)
    assert printed.exit_code == 0, printed.output
    data = json.loads(printed.output)
    assert data["type"] == "bundle"
    assert any(o["type"] == "incident" and o["name"] == "C2 beaconing at the grid operator" for o in data["objects"])
    missing = CliRunner().invoke(main, ["export", "INC-1999-0001"], env=env)
    assert missing.exit_code == 1 and "No ticket 'INC-1999-0001'" in missing.output


def test_puente_import_opens_a_ticket_from_a_file(ours: Runtime, database_url: str, tmp_path: Path) -> None:
    reference = open_rich_ticket(ours)
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_bytes(exchange.serialize(export(ours, reference).bundle))
    with ours.unit_of_work(actor_name="operator") as ctx:
        tickets_before = len(ticket_store.listing(ctx.session))
    env = {
        "PUENTE_DATABASE_URL": database_url,
        "PUENTE_CSIRT_NAME": "CSIRT-CO",
        "PUENTE_VAR_DIR": str(tmp_path / "var"),
    }
    again = CliRunner().invoke(main, ["import", str(bundle_path), "--as", "ana"], env=env)
    assert again.exit_code == 0, again.output
    assert f"{reference}: refreshed from" in again.output  # the incident is ours already: no second ticket
    with ours.unit_of_work(actor_name="operator") as ctx:
        assert len(ticket_store.listing(ctx.session)) == tickets_before


def test_chat_export_summarises_the_bundle(ours: Runtime) -> None:
    reference = open_rich_ticket(ours)
    reply = CommandCore(ours).handle(Command(text=f"export {reference}", platform="console", user_id="ana"))
    assert reply.ok, reply.text
    assert reply.ticket == reference
    assert reply.text.startswith(f"{reference}: STIX 2.1 bundle of ")
    assert ("indicator", "9") in reply.fields and ("incident", "1") in reply.fields
    again = CommandCore(ours).handle(Command(text=f"export {reference}", platform="console", user_id="ana"))
    assert "no changes since the last export" in again.text
