"""MISP as a partner runs it: events built with PyMISP, converted both ways by misp-stix (MISP's own library)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from misp_stix_converter import MISPtoSTIX21Parser, stix_2_to_misp
from pymisp import MISPAttribute, MISPEvent, MISPOrganisation

# A MISP node's organisation: its uuid becomes the producer identity of the export.
ORG_UUID = "5c1d9b5a-7f0e-4d0a-9c4e-2a1b3c4d5e6f"
EVENT_TAGS = ["tlp:amber", "PAP:GREEN", 'rsit:fraud="phishing"', 'misp-galaxy:threat-actor="APT 28"']

# One value of each common MISP attribute type an incident carries, and the observable Puente reads of it.
COMMON_ATTRIBUTES: list[tuple[str, str, tuple[str, str] | None]] = [
    ("ip-dst", "198.51.100.{i}", ("ipv4-addr", "198.51.100.{i}")),
    ("ip-src", "203.0.113.{i}", ("ipv4-addr", "203.0.113.{i}")),
    ("ip-dst", "2001:db8::{i:x}", ("ipv6-addr", "2001:db8::{i:x}")),
    ("domain", "host{i}.evil.example", ("domain-name", "host{i}.evil.example")),
    ("hostname", "www{i}.evil.example", ("domain-name", "www{i}.evil.example")),
    ("url", "http://evil.example/{i}/login.php", ("url", "http://evil.example/{i}/login.php")),
    ("email-src", "phish{i}@evil.example", ("email-addr", "phish{i}@evil.example")),
    ("email-dst", "victim{i}@bank.example", ("email-addr", "victim{i}@bank.example")),
    ("md5", "{i:032x}", ("md5", "{i:032x}")),
    ("sha1", "{i:040x}", ("sha1", "{i:040x}")),
    ("sha256", "{i:064x}", ("sha256", "{i:064x}")),
    ("filename", "invoice{i}.pdf.exe", None),
    ("comment", "Seen in wave {i}", None),
    ("text", "Lure text {i}", None),
    ("user-agent", "Mozilla/5.0 (bot {i})", None),
    ("AS", "AS6{i:04d}", None),
]


def event(info: str = "Phishing wave against banks", tags: list[str] | None = None) -> MISPEvent:
    built = MISPEvent()
    built.info = info
    built.uuid = "0b5d7c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e"
    built.date = date(2026, 11, 20)
    built.timestamp = 1795000000
    built.distribution = 1
    built.threat_level_id = 2
    built.analysis = 1
    org = MISPOrganisation()
    org.name = "CSIRT-PE"
    org.uuid = ORG_UUID
    built.Orgc = org
    for tag in EVENT_TAGS if tags is None else tags:
        built.add_tag(tag)
    return built


def add_common_attributes(built: MISPEvent, rounds: int) -> list[tuple[str, str]]:
    """`rounds` attributes of every common type; returns (type, value) of each."""
    added = []
    for i in range(1, rounds + 1):
        for misp_type, value, _ in COMMON_ATTRIBUTES:
            text = value.format(i=i)
            attribute = built.add_attribute(misp_type, text, to_ids=misp_type not in ("comment", "text"))
            assert isinstance(attribute, MISPAttribute)
            if i % 3 == 0:  # attributes carry tags of their own too
                attribute.add_tag("tlp:green" if i % 2 else 'admiralty-scale:source-reliability="b"')
            added.append((misp_type, text))
    return added


def to_stix(built: MISPEvent) -> dict[str, Any]:
    """The event as misp-stix exports it to STIX 2.1 (what a MISP node serves)."""
    parser = MISPtoSTIX21Parser()
    parser.parse_misp_event(built.to_dict())
    result: dict[str, Any] = json.loads(parser.bundle.serialize())
    return result


def from_stix(bundle: dict[str, Any], directory: Path) -> dict[str, Any]:
    """A STIX 2.1 bundle as misp-stix's importer turns it into one MISP event (what a MISP node keeps)."""
    path = directory / "bundle.json"
    path.write_text(json.dumps(bundle))
    traceback = stix_2_to_misp(path, single_event=True, output_dir=directory, debug=True)
    assert traceback.get("success") == 1, traceback
    converted: dict[str, Any] = json.loads(Path(traceback["results"][0]).read_text())
    return dict(converted.get("Event", converted))


def attributes(misp_event: dict[str, Any]) -> list[dict[str, Any]]:
    """Every attribute of a MISP event, those inside its objects included."""
    found = list(misp_event.get("Attribute", []))
    for obj in misp_event.get("Object", []):
        found += obj.get("Attribute", [])
    return found
