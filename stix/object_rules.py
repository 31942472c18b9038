"""The rules of the domain objects third parties send most, read off stix2's own class definitions.

`stix2.parse` builds a Python object to check one; here each property of those kinds is checked from
its stix2 definition (string, enumeration, timestamp, reference with its allowed types, integer range,
list, external references, kill chain phases), and the object-level constraints stix2 adds (a first
sighting before a last one, a malware family with a name) are stated beside them. A property whose
definition this table does not cover (dictionaries, hashes, granular markings, extensions) leaves the
object to stix2. tests/test_stix_differential.py holds these rules to stix2's and the OASIS validator's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from stix2 import properties as p
from stix2.registry import class_for_type
from stix2.utils import STIXTypeClass
from stix2.v21.common import ExternalReference, KillChainPhase

from puente.stix.properties import (
    DOMAIN_TYPES,
    OBSERVABLE_TYPES,
    Check,
    InvalidStix,
    Unchecked,
    boolean,
    external_references,
    fail,
    identifier,
    kill_chain_phases,
    non_empty_list,
    ref,
    string,
    timestamp,
)
from puente.stix.timestamps import instant

Constraint = Callable[[dict[str, Any], str], None]


def _in_order(first: str, last: str) -> Constraint:
    def check(obj: dict[str, Any], object_id: str) -> None:
        if first in obj and last in obj and instant(obj[last]) < instant(obj[first]):
            raise InvalidStix(object_id, last, f"must not be earlier than {first!r}.")

    return check


def _at_least_one(*props: str) -> Constraint:
    def check(obj: dict[str, Any], object_id: str) -> None:
        if not any(prop in obj for prop in props):
            raise InvalidStix(object_id, None, f"needs at least one of {', '.join(props)}.")

    return check


def _one_of(first: str, second: str) -> Constraint:
    def check(obj: dict[str, Any], object_id: str) -> None:
        if (first in obj) == (second in obj):
            raise InvalidStix(object_id, None, f"needs exactly one of {first!r} and {second!r}.")

    return check


def _traffic_times(obj: dict[str, Any], object_id: str) -> None:
    if "end" in obj and obj.get("is_active") is not False:
        raise InvalidStix(object_id, "is_active", "must be false when 'end' is present.")


def _email_parts(obj: dict[str, Any], object_id: str) -> None:
    if "body_multipart" in obj and obj.get("is_multipart") is not True:
        raise InvalidStix(object_id, "body_multipart", "needs 'is_multipart' true.")
    if obj.get("is_multipart") is True and "body" in obj:
        raise InvalidStix(object_id, "body", "must not be present when 'is_multipart' is true.")


def _family_named(obj: dict[str, Any], object_id: str) -> None:
    if obj.get("is_family") is True and "name" not in obj:
        raise InvalidStix(object_id, "name", "is required of a malware family (is_family true).")


# The kinds checked here, with stix2's object-level constraints on each.
CONSTRAINTS: dict[str, tuple[Constraint, ...]] = {
    "attack-pattern": (),
    "campaign": (_in_order("first_seen", "last_seen"),),
    "course-of-action": (),
    "grouping": (),
    "identity": (),
    "infrastructure": (_in_order("first_seen", "last_seen"),),
    "intrusion-set": (_in_order("first_seen", "last_seen"),),
    "malware": (_in_order("first_seen", "last_seen"), _family_named),
    "note": (),
    "observed-data": (_in_order("first_observed", "last_observed"), _one_of("objects", "object_refs")),
    "opinion": (),
    "report": (),
    "threat-actor": (_in_order("first_seen", "last_seen"),),
    "tool": (),
    "vulnerability": (),
    "autonomous-system": (),
    "email-message": (_email_parts,),
    "network-traffic": (_at_least_one("src_ref", "dst_ref"), _traffic_times, _in_order("start", "end")),
}
_SROS = frozenset({"relationship", "sighting"})
_META = frozenset({"marking-definition", "extension-definition", "language-content", "bundle"})
_CATEGORIES = {
    STIXTypeClass.SCO: OBSERVABLE_TYPES,
    STIXTypeClass.SRO: _SROS,
    STIXTypeClass.SDO: DOMAIN_TYPES - _SROS - _META,
}
_STANDARD = OBSERVABLE_TYPES | DOMAIN_TYPES
# Handled apart: the object's own check_object steps (id, type, spec_version, created, modified).
_CORE = frozenset({"type", "id", "spec_version", "created", "modified"})


def _unchecked(object_id: str, prop: str, value: Any) -> None:
    raise Unchecked


def _enum(allowed: list[str]) -> Check:
    def check(object_id: str, prop: str, value: Any) -> None:
        string(object_id, prop, value)
        if value not in allowed:
            fail(object_id, prop, f"must be one of {', '.join(allowed)}, not {value!r}.")

    return check


def _integer(low: int | None, high: int | None) -> Check:
    def check(object_id: str, prop: str, value: Any) -> None:
        if type(value) is not int or (low is not None and value < low) or (high is not None and value > high):
            fail(object_id, prop, f"must be an integer from {low} to {high}, not {value!r}.")

    return check


def _reference(definition: p.ReferenceProperty) -> Check:
    # A category ("any SCO") stands for its types; a custom type is in every category, as for stix2.
    kinds = set(definition.specifics).union(*(_CATEGORIES[generic] for generic in definition.generics))
    if definition.auth_type == definition._WHITELIST:
        allowed = tuple(f"{kind}--" for kind in sorted(kinds))
        if not definition.generics:
            return ref(*sorted(kinds))

        def check_category(object_id: str, prop: str, value: Any) -> None:
            identifier(object_id, prop, value)
            kind = value.partition("--")[0]
            if not value.startswith(allowed) and kind in _STANDARD:
                fail(object_id, prop, f"cannot refer to a {kind}.")

        return check_category
    refused = tuple(f"{kind}--" for kind in sorted(kinds))

    def check(object_id: str, prop: str, value: Any) -> None:
        identifier(object_id, prop, value)
        if value.startswith(refused):
            fail(object_id, prop, f"cannot refer to a {value.partition('--')[0]}.")

    return check


def _list_of(item: Check) -> Check:
    def check(object_id: str, prop: str, value: Any) -> None:
        non_empty_list(object_id, prop, value)
        for each in value:
            item(object_id, prop, each)

    return check


def _check_for(definition: Any) -> Check:
    """The check of one stix2 property definition, or one that hands the object to stix2."""
    if isinstance(definition, p.ListProperty):
        contained = definition.contained
        if contained is ExternalReference:
            return external_references
        if contained is KillChainPhase:
            return kill_chain_phases
        item = _check_for(contained)
        return _unchecked if item is _unchecked else _list_of(item)
    if isinstance(definition, p.EnumProperty):
        return _enum(list(definition.allowed))
    if isinstance(definition, p.ReferenceProperty):
        return _reference(definition)
    if isinstance(definition, p.TimestampProperty):
        return timestamp
    if isinstance(definition, (p.StringProperty, p.OpenVocabProperty)) and not isinstance(
        definition, p.PatternProperty
    ):
        return string
    if isinstance(definition, p.BooleanProperty):
        return boolean
    if isinstance(definition, p.IntegerProperty):
        return _integer(definition.min, definition.max)
    return _unchecked


@cache
def rules(stix_type: str) -> tuple[dict[str, Check], frozenset[str], tuple[Constraint, ...]] | None:
    """(checks by property, required properties, object constraints) of a kind checked here, else None."""
    if stix_type not in CONSTRAINTS:
        return None
    definitions = class_for_type(stix_type, "2.1")._properties
    checks = {name: _check_for(d) for name, d in definitions.items() if name not in _CORE}
    required = frozenset(name for name, d in definitions.items() if d.required and name not in _CORE)
    return checks, required, CONSTRAINTS[stix_type]


def check_by_rules(obj: dict[str, Any], object_id: str) -> bool:
    """Check an object of a kind covered here; False (nothing refused) if stix2 must judge it instead.

    The object's property names are checked already: each is one stix2 defines for its type (all of which
    have a check here, but for the core ones) or a valid custom name, which stix2 keeps unchecked."""
    found = rules(obj["type"])
    if found is None:
        return False
    checks, required, constraints = found
    for prop in required:
        if prop not in obj:
            raise InvalidStix(object_id, prop, "is required.")
    try:
        for prop, value in obj.items():
            check = checks.get(prop)
            if check is not None:
                check(object_id, prop, value)
    except Unchecked:
        return False
    for constraint in constraints:
        constraint(obj, object_id)
    return True
