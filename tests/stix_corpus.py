"""Valid STIX 2.1 from several producers, its mutations, and the standard's verdict on each.

The standard's verdict is what `stix2.parse(allow_custom=True)` and the OASIS validator's MUST rules
(stix2-validator, errors only) both accept. Puente's validator (stix.validation) should give the same
verdict, but for the deliberate differences `deliberate()` names, each with its reason.
"""

from __future__ import annotations

import copy
import json
import logging
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stix2
import stix2generator
from stix2validator import ValidationOptions, validate_instance

from puente.stix.definitions import INCIDENT_CORE_DEFINITION, PUENTE_TICKET_DEFINITION
from puente.stix.mapping import NoteFacts, ObservableFacts, TicketFacts, identity, ticket_objects
from puente.stix.markings import TLP_EXTENSION_DEFINITION, marking_definition
from puente.stix.validation import InvalidStix, check_object
from tests import misp
from tests.conftest import SHARED

GENERATED_TYPES = [
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
    "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data",
    "opinion", "report", "threat-actor", "tool", "vulnerability", "relationship", "sighting", "marking-definition",
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
    "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
    "user-account", "windows-registry-key", "x509-certificate",
]  # fmt: skip
# Values a mutation puts in place of a property's: wrong JSON types, out-of-range numbers, malformed
# identifiers, timestamps of every precision (and impossible ones), and times out of order.
REPLACEMENTS: list[Any] = [
    None, 7, -1, 101, 2.5, "", [], ["x"], {}, True, "not--an-id", "Upper Case",
    "2026-13-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00.123456789Z",
    "1999-01-01T00:00:00.000Z", "2099-01-01T00:00:00.000Z",
    "indicator--00000000-0000-0000-0000-000000000000", "identity--4f2e8a31-6c1d-0b7e-9a0f-1d2c3b4a5e6f",
    "identity--4f2e8a31-6c1d-4b7e-9a0f-1d2c3b4a5e6f", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
]  # fmt: skip
CUSTOM_NAMES = ["Bad-Name", "ab", "x_acme_score", "_x", "abcD", "x" * 251]
_FINER_THAN_MICROSECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7,}Z")
_OPTIONS = ValidationOptions(version="2.1")
_STANDARD_TYPES = frozenset(GENERATED_TYPES) | {"extension-definition", "language-content"}


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reason: str = ""


def standard(obj: dict[str, Any]) -> Verdict:
    """stix2.parse(allow_custom=True) and the OASIS validator's errors (its MUST rules) together."""
    try:
        stix2.parse(copy.deepcopy(obj), allow_custom=True, version="2.1")
    except Exception as error:
        return Verdict(False, f"stix2: {error}")
    try:
        logging.disable(logging.CRITICAL)  # the validator logs every finding
        result = validate_instance(copy.deepcopy(obj), _OPTIONS)
    except Exception as error:  # the validator trips on some malformed values: it accepts nothing then
        return Verdict(False, f"validator raised {type(error).__name__}")
    finally:
        logging.disable(logging.NOTSET)
    return Verdict(result.is_valid, "" if result.is_valid else f"validator: {result.errors[0]}")


def puente(obj: dict[str, Any]) -> Verdict:
    try:
        check_object(copy.deepcopy(obj))
    except InvalidStix as error:
        return Verdict(False, str(error))
    return Verdict(True)


def deliberate(obj: dict[str, Any], theirs: Verdict, ours: Verdict) -> str | None:
    """Why Puente's verdict may differ from the standard's on this object, or None."""
    if any(isinstance(v, str) and _FINER_THAN_MICROSECONDS.fullmatch(v) for v in obj.values()) and ours.accepted:
        return (
            "timestamps finer than microseconds: STIX 2.1 (3.2) allows any fraction and the OASIS validator"
            " accepts them; stix2 refuses them only because Python's datetime stops at microseconds"
        )
    if set(obj) - {"type", "id", "spec_version"} in ({"created_time"}, {"modified_time"}) and ours.accepted:
        return (
            "a process (windows-registry-key) whose one property is created_time (modified_time): STIX 2.1 asks"
            " for one property besides type; the OASIS validator's schema lists 'created' ('modified') instead"
        )
    if ours.accepted and ("'path_enc'" in theirs.reason or "'name_enc'" in theirs.reason):
        return (
            "character-set names (path_enc, name_enc) are not checked against the IANA registry: a bundle is not"
            " refused over the label of a file name's encoding"
        )
    if theirs.accepted and obj.get("type") not in _STANDARD_TYPES and not ours.accepted:
        return (
            "custom objects get the checks of the properties every object has (an id of their own type,"
            " created_by_ref an identity, object_marking_refs markings), which stix2 and the OASIS validator skip"
            " on types they do not know"
        )
    if str(obj.get("type")).startswith("x-misp-") and ours.accepted:
        return (
            "x-misp-* objects in a process that imported misp-stix: it registers them with stix2, which then"
            " judges their properties by misp-stix's classes; Puente (and a MISP-less stix2) takes them as custom"
        )
    if "is not a valid custom property name" in ours.reason:
        return (
            "property names outside a-z, 0-9 and _ (STIX 2.1 section 3.1 MUST): the OASIS validator's pattern"
            " '^([a-z][a-z0-9_]{2,249})|id$' is unanchored, so 'abcD' passes it; stix2 checks the first letter"
        )
    return None


def _generated(seed: int) -> Iterator[dict[str, Any]]:
    random.seed(seed)  # stix2-generator draws from the random module
    generator = stix2generator.create_object_generator()
    for stix_type in GENERATED_TYPES:
        for _ in range(2):
            yield generator.generate(stix_type)


def _puente_ticket() -> list[dict[str, Any]]:
    when = datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
    kinds = [("ipv4-addr", "198.51.100.7"), ("ipv6-addr", "2001:db8::/32"), ("url", "http://evil.example/a'b")]
    kinds += [("domain-name", "evil.example"), ("email-addr", "ceo@evil.example"), ("sha256", "c" * 64)]
    facts = TicketFacts(
        incident_id="incident--0b0e8d2f-3f4b-4b6b-9c3d-2b7a6c9d1e11",
        title="C2 beaconing",
        created_at=when,
        reference="INC-2026-0042",
        rsit_classification="malicious-code",
        rsit_type="c2-server",
        countries=["CO", "BR"],
        observables=[ObservableFacts(k, v, when) for k, v in kinds],
        notes=[NoteFacts("note--7d1c7e0a-4b59-4d5a-9d7b-0c1f0f4b8e55", "ana", "Sinkholed.", when)],
    )
    ours = "identity--5a3c4d2e-1f00-4b6a-9c3d-2b7a6c9d1e11"
    built = ticket_objects(facts, identity_id=ours, csirt_name="CSIRT-CO", ids={}, now=when)
    definitions = [
        TLP_EXTENSION_DEFINITION,
        INCIDENT_CORE_DEFINITION,
        PUENTE_TICKET_DEFINITION,
        marking_definition("amber"),
    ]
    return [*definitions, identity(ours, "CSIRT-CO", "CO", when), *built.objects]


def valid_objects(seed: int = 1) -> list[dict[str, Any]]:
    """stix2-generator's objects of every type, a Puente ticket, a MISP export, and what ../shared holds."""
    objects = [*_generated(seed), *_puente_ticket()]
    event = misp.event()
    misp.add_common_attributes(event, 1)
    objects += misp.to_stix(event)["objects"]
    for path in sorted((SHARED / "stix" / "oasis-examples").glob("*.json")):
        data = json.loads(path.read_text())
        objects += data["objects"] if data.get("type") == "bundle" else [data]
    attack = SHARED / "stix" / "attack" / "mobile-attack-17.1.json"
    if attack.is_file():
        objects += random.Random(seed).sample(json.loads(attack.read_text())["objects"], 80)
    return [o for o in objects if standard(o).accepted]


def mutations(obj: dict[str, Any], rnd: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """Broken (or not) copies of an object: each property dropped or replaced, custom properties added."""
    found = []
    for prop in obj:
        if prop == "type":
            continue
        found.append((f"without {prop}", {k: v for k, v in obj.items() if k != prop}))
        for value in rnd.sample(REPLACEMENTS, 6):
            found.append((f"{prop}={value!r}", {**obj, prop: value}))
    for name in CUSTOM_NAMES:
        found.append((f"custom {name[:10]}", {**obj, name: "value"}))
    return found


@dataclass
class Agreement:
    cases: int = 0
    agreed: int = 0
    deliberate: Counter[str] | None = None
    disagreements: list[tuple[str, str, Verdict, Verdict]] | None = None

    def add(self, label: str, obj: dict[str, Any]) -> None:
        self.deliberate = self.deliberate if self.deliberate is not None else Counter()
        self.disagreements = self.disagreements if self.disagreements is not None else []
        self.cases += 1
        theirs, ours = standard(obj), puente(obj)
        if theirs.accepted == ours.accepted:
            self.agreed += 1
        elif (why := deliberate(obj, theirs, ours)) is not None:
            self.deliberate[why] += 1
        else:
            self.disagreements.append((str(obj.get("id")), label, theirs, ours))
