"""MISP nodes as partners: their STIX 2.1 (misp-stix) imports unmodified, and our tickets become MISP events."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from puente.services.context import Runtime
from puente.services.exchange import importer
from puente.services.exchange import service as exchange
from puente.services.tickets import notes
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import parse_observables
from puente.services.users import service as users
from puente.services.vocabularies.taxonomy import TLP
from puente.storage import tickets as ticket_store
from puente.storage.models import Role
from tests import misp
from tests.support import acting_as

# The MISP attribute type misp-stix gives each kind of Puente observable.
MISP_TYPES = {
    "ipv4-addr": "ip-dst",
    "ipv6-addr": "ip-dst",
    "domain-name": "domain",
    "url": "url",
    "email-addr": "email",
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
}


@pytest.fixture
def analyst(sqlite_runtime: Runtime) -> Runtime:
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    return sqlite_runtime


def import_bundle(runtime: Runtime, data: dict[str, Any]) -> importer.ImportResult:
    with acting_as(runtime, "ana") as ctx:
        return importer.import_content(ctx, data)


def export(runtime: Runtime, reference: str) -> dict[str, Any]:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        return exchange.export_ticket(ctx, reference).bundle


def attribute_facts(misp_event: dict[str, Any]) -> Counter[tuple[str, str, frozenset[str]]]:
    return Counter(
        (a["type"], a["value"], frozenset(t["name"] for t in a.get("Tag", []))) for a in misp.attributes(misp_event)
    )


def test_misp_event_tags_become_the_tickets_tlp_pap_type_and_labels(analyst: Runtime) -> None:
    result = import_bundle(analyst, misp.to_stix(misp.event()))
    ticket = result.ticket
    assert (ticket.tlp, ticket.pap) == ("amber", "green")
    assert (ticket.rsit_classification, ticket.rsit_type) == ("fraud", "phishing")
    assert 'misp-galaxy:threat-actor="APT 28"' in ticket.labels
    assert not [label for label in ticket.labels if label.lower().startswith(("tlp:", "pap:", "rsit:", "misp:"))]
    # Our incident carries the labels on, to a partner's Puente or back to MISP.
    incident = next(o for o in export(analyst, ticket.reference)["objects"] if o["type"] == "incident")
    assert 'misp-galaxy:threat-actor="APT 28"' in incident["labels"] and 'rsit:fraud="phishing"' in incident["labels"]
    assert ticket.title == "grouping: Phishing wave against banks"
    assert ticket.countries == []  # MISP named none; the importing CSIRT's own is not added
    assert result.skipped == []


def test_every_misp_attribute_of_an_observable_type_becomes_an_observable(analyst: Runtime) -> None:
    event = misp.event()
    misp.add_common_attributes(event, 2)
    result = import_bundle(analyst, misp.to_stix(event))
    expected = {
        (kind, value.format(i=i))
        for i in (1, 2)
        for _, _, observable in misp.COMMON_ATTRIBUTES
        if observable is not None
        for kind, value in [observable]
    }
    with analyst.unit_of_work(actor_name="operator") as ctx:
        assert result.ticket.id is not None
        found = {(o.kind, o.value) for o in ticket_store.observables(ctx.session, result.ticket.id)}
    assert found == expected


def test_an_event_of_200_attributes_of_every_common_type_round_trips_through_puente_whole(
    analyst: Runtime, tmp_path: Path
) -> None:
    """MISP -> misp-stix -> Puente import -> Puente export -> misp-stix -> MISP: every attribute and tag is back."""
    event = misp.event()
    misp.add_common_attributes(event, 13)
    original = event.to_dict()
    assert len(original["Attribute"]) >= 200
    result = import_bundle(analyst, misp.to_stix(event))
    (tmp_path / "back").mkdir()
    back = misp.from_stix(export(analyst, result.ticket.reference), tmp_path / "back")

    sent = attribute_facts(original)
    received = attribute_facts(back)
    assert sent - received == Counter(), "attributes (type, value, tags) lost on the way"
    assert received - sent == Counter(), "attributes added on the way"
    assert set(misp.EVENT_TAGS) <= {t["name"] for t in back.get("Tag", [])}
    assert back["info"] == "Phishing wave against banks"


@pytest.mark.parametrize("level", list(TLP))
def test_every_ticket_converts_to_a_misp_event_with_each_observable_an_attribute_and_the_tlp_a_tag(
    analyst: Runtime, tmp_path: Path, level: TLP
) -> None:
    values = ["198.51.100.7", "198.51.100.0/24", "2001:db8::1", "evil.example", "hxxp://bücher[.]example/ä"]
    values += ["ceo@evil.example", "a" * 32, "b" * 40, "c" * 64]
    with acting_as(analyst, "ana") as ctx:
        observables = parse_observables(values)
        draft = tickets.TicketDraft(title="C2 beaconing", countries=["CO", "BR"], tlp=level, observables=observables)
        reference = tickets.open_ticket(ctx, draft).reference
        notes.add_note(ctx, reference, "Sinkholed evil.example.")
    converted = misp.from_stix(export(analyst, reference), tmp_path)
    expected = Counter((MISP_TYPES[o.kind.value], o.value, frozenset({f"tlp:{level.value}"})) for o in observables)
    assert attribute_facts(converted) == expected
