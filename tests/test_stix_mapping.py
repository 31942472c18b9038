"""Ticket <-> STIX 2.1 without a database: the objects, their markings, patterns, ids and checks."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime

import pycountry
import pytest
import stix2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_instance

from puente.services.vocabularies.taxonomy import RSIT, STIX_SECTORS
from puente.stix import patterns
from puente.stix.definitions import INCIDENT_CORE_DEFINITION, INCIDENT_CORE_ID, PUENTE_TICKET_DEFINITION
from puente.stix.mapping import NoteFacts, ObservableFacts, TicketFacts, identity, ticket_objects, ticket_of
from puente.stix.markings import MARKING_IDS, TLP_EXTENSION_DEFINITION, marking_definition
from puente.stix.patterns import Observable
from puente.stix.validation import InvalidStix, check_content, check_object
from tests.conftest import SHARED

IDENTITY = "identity--5a3c4d2e-1f00-4b6a-9c3d-2b7a6c9d1e11"
# Warnings accepted from stix2-validator, and why:
# {202} the spec permits relationships beyond its suggested table; `indicator indicates incident`,
#       `indicator based-on <SCO>` and `incident located-at location` are such, and say what we mean.
ACCEPTED_WARNINGS = ("{202}",)

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
label = st.from_regex(r"[a-z][a-z0-9]{0,12}", fullmatch=True)
domains = st.builds(
    lambda parts, tld: ".".join([*parts, tld]),
    st.lists(label, min_size=1, max_size=3),
    st.sampled_from(["example", "org", "co", "br"]),
)
hexes = lambda n: st.text("0123456789abcdef", min_size=n, max_size=n)  # noqa: E731
observable_values = st.one_of(
    st.ip_addresses(v=4).map(lambda a: ObservableFacts("ipv4-addr", str(a))),
    st.builds(lambda a, p: ObservableFacts("ipv4-addr", f"{a}/{p}"), st.ip_addresses(v=4), st.integers(8, 31)),
    st.ip_addresses(v=6).map(lambda a: ObservableFacts("ipv6-addr", str(a))),
    domains.map(lambda d: ObservableFacts("domain-name", d)),
    # A ticket holds URLs as URIs (services.observables encodes them): generate what it can hold.
    st.builds(lambda d, p: ObservableFacts("url", patterns.uri(f"https://{d}/{p}")), domains, st.text(max_size=20)),
    st.builds(lambda u, d: ObservableFacts("email-addr", f"{u}@{d}"), label, domains),
    hexes(32).map(lambda h: ObservableFacts("md5", h)),
    hexes(40).map(lambda h: ObservableFacts("sha1", h)),
    hexes(64).map(lambda h: ObservableFacts("sha256", h)),
)


@st.composite
def tickets(draw: st.DrawFn) -> TicketFacts:
    rsit = draw(st.none() | st.sampled_from([(c, t) for c, kinds in RSIT.items() for t in kinds]))
    observables = draw(st.lists(observable_values, max_size=8, unique_by=lambda o: (o.kind, o.value)))
    return TicketFacts(
        incident_id=f"incident--{uuid.UUID(int=draw(st.integers(0, 2**128 - 1)), version=4)}",
        title=draw(st.text(min_size=1, max_size=60)),
        created_at=draw(moments),
        aware_at=draw(moments),
        reference=f"INC-2026-{draw(st.integers(1, 9999)):04d}",
        description=draw(st.text(max_size=60)),
        severity=draw(st.sampled_from(["low", "medium", "high", "critical"])),
        status=draw(st.sampled_from(["new", "triage", "in-progress", "escalated", "mitigated", "resolved", "closed"])),
        rsit_classification=rsit[0] if rsit else None,
        rsit_type=rsit[1] if rsit else None,
        sectors=draw(st.lists(st.sampled_from(STIX_SECTORS), unique=True, max_size=3)),
        countries=draw(
            st.lists(st.sampled_from([c.alpha_2 for c in pycountry.countries]), unique=True, min_size=1, max_size=3)
        ),
        tlp=draw(st.sampled_from(list(MARKING_IDS))),
        pap=draw(st.sampled_from(["clear", "green", "amber", "red"])),
        observables=[ObservableFacts(o.kind, o.value, draw(moments)) for o in observables],
        notes=[
            NoteFacts(
                f"note--{uuid.uuid4()}",
                draw(st.text(min_size=1, max_size=20)),
                draw(st.text(min_size=1, max_size=80)),
                draw(moments),
            )
            for _ in range(draw(st.integers(0, 3)))
        ],
    )


def bundle(facts: TicketFacts) -> dict:
    built = ticket_objects(
        facts, identity_id=IDENTITY, csirt_name="CSIRT-CO", ids={}, now=datetime(2026, 11, 1, tzinfo=UTC)
    )
    definitions = [
        TLP_EXTENSION_DEFINITION,
        INCIDENT_CORE_DEFINITION,
        PUENTE_TICKET_DEFINITION,
        marking_definition(facts.tlp),
    ]
    ours = identity(IDENTITY, "CSIRT-CO", "CO", datetime(2026, 1, 1, tzinfo=UTC))
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [*definitions, ours, *built.objects]}


def rich_ticket() -> TicketFacts:
    when = datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
    kinds = [
        ("ipv4-addr", "198.51.100.7"),
        ("ipv4-addr", "198.51.100.0/24"),
        ("ipv6-addr", "2001:db8::1"),
        ("ipv6-addr", "2001:db8::/32"),
        ("domain-name", "evil.example"),
        ("url", "http://evil.example/a'b%5Cc"),
        ("email-addr", "ceo@evil.example"),
        ("md5", "a" * 32),
        ("sha1", "b" * 40),
        ("sha256", "c" * 64),
    ]
    return TicketFacts(
        incident_id="incident--0b0e8d2f-3f4b-4b6b-9c3d-2b7a6c9d1e11",
        title="C2 beaconing at the grid operator",
        created_at=when,
        aware_at=when,
        reference="INC-2026-0042",
        description="Seen by two utilities.",
        severity="critical",
        status="escalated",
        rsit_classification="malicious-code",
        rsit_type="c2-server",
        sectors=["energy", "utilities"],
        countries=["CO", "BR"],
        tlp="amber+strict",
        pap="green",
        observables=[ObservableFacts(k, v, when) for k, v in kinds],
        notes=[NoteFacts("note--7d1c7e0a-4b59-4d5a-9d7b-0c1f0f4b8e55", "ana", "Sinkholed evil.example.", when)],
    )


def test_a_rich_ticket_is_textbook_stix_for_the_library_and_the_oasis_validator() -> None:
    data = bundle(rich_ticket())
    parsed = stix2.parse(json.dumps(data))
    assert len(parsed.objects) == len(data["objects"])
    result = validate_instance(data, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    unexpected = [w for w in result.warnings if not str(w).split(": ", 1)[-1].startswith(ACCEPTED_WARNINGS)]
    assert unexpected == []


def test_every_object_is_marked_tlp_2_and_ours_carry_our_identity() -> None:
    objects = bundle(rich_ticket())["objects"]
    amber_strict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    ticket_part = objects[5:]
    assert all(o["object_marking_refs"] == [amber_strict] for o in ticket_part)
    assert all(o["created_by_ref"] == IDENTITY for o in ticket_part if o["type"] not in patterns.SCO_TYPES)
    assert any(o["id"] == amber_strict and o["name"] == "TLP:AMBER+STRICT" for o in objects)
    counts: dict[str, int] = {}
    for o in ticket_part:
        counts[o["type"]] = counts.get(o["type"], 0) + 1
    assert counts == {
        "incident": 1,
        "location": 2,
        "relationship": 2 + 2 * 10,
        "indicator": 10,
        "note": 1,
        "ipv4-addr": 2,
        "ipv6-addr": 2,
        "domain-name": 1,
        "url": 1,
        "email-addr": 1,
        "file": 3,
    }


def test_incident_carries_incident_core_rsit_sector_labels_and_the_ticket_reference() -> None:
    incident = next(o for o in bundle(rich_ticket())["objects"] if o["type"] == "incident")
    assert incident["extensions"][INCIDENT_CORE_ID] == {
        "extension_type": "property-extension",
        "determination": "confirmed",
        "investigation_status": "open",
        "criticality": 95,
        "incident_types": ["malicious-code"],
    }
    assert incident["labels"] == ['rsit:malicious-code="c2-server"', "sector:energy", "sector:utilities"]
    assert incident["external_references"] == [{"source_name": "CSIRT-CO", "external_id": "INC-2026-0042"}]


def test_bad_incident_core_values_are_refused_by_the_registered_extension() -> None:
    incident = copy.deepcopy(next(o for o in bundle(rich_ticket())["objects"] if o["type"] == "incident"))
    incident["extensions"][INCIDENT_CORE_ID]["determination"] = "probably"
    with pytest.raises(stix2.exceptions.InvalidValueError, match="determination"):
        stix2.parse(incident)
    with pytest.raises(InvalidStix, match=r"incident--0b0e8d2f.*determination"):
        check_object(incident)


@pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared/stix is absent: the official TLP 2.0 / Incident Core objects live there"
)
def test_constants_equal_the_official_definitions_in_shared() -> None:
    official = json.loads((SHARED / "stix" / "tlp2-marking-definitions.json").read_text())
    assert [marking_definition(level) for level in MARKING_IDS] == official
    assert json.loads((SHARED / "stix" / "tlp2-extension-definition.json").read_text()) == TLP_EXTENSION_DEFINITION
    assert (
        json.loads((SHARED / "stix" / "incident-core-extension-definition.json").read_text())
        == INCIDENT_CORE_DEFINITION
    )


@settings(max_examples=200, deadline=None)
@given(observable_values)
def test_sco_ids_are_the_deterministic_ones_stix2_computes(item: ObservableFacts) -> None:
    sco = patterns.sco(Observable(item.kind, item.value), [])
    contributing = {k: v for k, v in sco.items() if k not in ("id", "object_marking_refs")}
    assert sco["id"] == stix2.parse(contributing).id


@settings(max_examples=200, deadline=None)
@given(observable_values)
def test_patterns_are_valid_and_read_back_to_the_observable(item: ObservableFacts) -> None:
    observable = Observable(item.kind, item.value)
    text = patterns.pattern(observable)
    assert run_validator(text, stix_version="2.1") == []
    assert patterns.observable_of_pattern(text) == observable


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(patterns.SIMPLE_PATTERN, fullmatch=True))
def test_every_pattern_the_fast_path_accepts_is_valid_for_stix2_patterns(text: str) -> None:
    assert run_validator(text, stix_version="2.1") == []


@settings(max_examples=150, deadline=None)
@given(tickets())
def test_ticket_to_stix_to_ticket_loses_no_mapped_field(facts: TicketFacts) -> None:
    objects = check_content(json.loads(json.dumps(bundle(facts))))
    back = ticket_of(objects)
    assert back.facts == facts
    assert back.producer == IDENTITY


@settings(max_examples=15, deadline=None)
@given(tickets())
def test_generated_tickets_pass_stix2_and_the_validator(facts: TicketFacts) -> None:
    data = bundle(facts)
    stix2.parse(json.dumps(data))
    result = validate_instance(data, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]


def _mutations(obj: dict) -> list[tuple[str, dict]]:
    """Broken copies of a valid object, each with the property at fault."""
    broken = []
    for prop in obj:
        if prop in ("type",):
            continue
        for bad in (None, 7, "", ["x"], "not--an-id"):
            changed = dict(obj)
            changed[prop] = bad
            broken.append((prop, changed))
        dropped = dict(obj)
        del dropped[prop]
        broken.append((prop, dropped))
    return broken


@pytest.mark.parametrize(
    "kind", ["indicator", "relationship", "ipv4-addr", "url", "email-addr", "file", "incident", "note", "location"]
)
def test_the_fast_check_refuses_whatever_stix2_parse_refuses(kind: str) -> None:
    original = next(o for o in bundle(rich_ticket())["objects"] if o["type"] == kind)
    check_object(original)
    for prop, changed in _mutations(original):
        try:
            stix2.parse(changed, allow_custom=True)
        except Exception:
            with pytest.raises(InvalidStix) as refused:
                check_object(changed)
            assert original["id"] in str(refused.value) or prop == "id"


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("[ipv4-addr:value = '198.51.100.7'", "pattern"),
        ("[ipv4-addr:value = 198.51.100.7]", "pattern"),
        ("[url:value = 'it's']", "pattern"),
        ("ipv4-addr:value = '198.51.100.7'", "pattern"),
    ],
)
def test_a_malformed_pattern_is_refused_naming_the_indicator_and_property(pattern: str, problem: str) -> None:
    indicator = dict(next(o for o in bundle(rich_ticket())["objects"] if o["type"] == "indicator"))
    indicator["pattern"] = pattern
    with pytest.raises(stix2.exceptions.InvalidValueError):
        stix2.parse(indicator)
    with pytest.raises(InvalidStix, match=rf"{indicator['id']}: '{problem}'"):
        check_object(indicator)


def test_a_bundle_without_an_incident_still_makes_a_ticket() -> None:
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--33fe3b22-0201-47cf-85d0-97c02164528d",
        "created": "2014-05-08T09:00:00.000Z",
        "modified": "2014-05-08T09:00:00.000Z",
        "name": "IP Address for known C2 channel",
        "pattern": "[ipv4-addr:value = '10.0.0.0']",
        "pattern_type": "stix",
        "valid_from": "2014-05-08T09:00:00.000000Z",
    }
    imported = ticket_of(check_content({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [indicator]}))
    assert imported.incident is None
    assert imported.facts.title == "STIX content from an unnamed producer"
    assert [(o.kind, o.value) for o in imported.facts.observables] == [("ipv4-addr", "10.0.0.0")]
