"""Strict checking of incoming STIX 2.1, fast enough for a 40,000-object ticket.

`stix2.parse` is the yardstick but spends most of its time in the ANTLR pattern parser and in
building objects. Here the kinds a ticket is made of (indicator, relationship and the SCOs of
Puente's observables) are checked by hand against the same rules, property by property;
a pattern of the one-comparison form Puente writes, or of string comparisons only (what ATT&CK,
MISP and the OASIS examples mostly write), is valid by construction of its regular expression, any
other goes through the stix2-patterns validator (cached by shape). Every other object,
and any of those kinds carrying a property the hand check does not know, is checked by
`stix2.parse` itself. Custom properties are accepted as `allow_custom=True` does, and custom
objects (`x-misp-attribute`, `x-mitre-tactic`, Incident Core's `task`), which stix2 would pass
unchecked, get the checks every object gets: third-party content is kept, never dropped.
Timestamps are read by stix.timestamps and compared as instants.

A refusal names the object and the property: `indicator--…: 'pattern' …`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import orjson
import stix2
import stix2.exceptions
from stix2.registry import class_for_type

import puente.stix.extensions  # noqa: F401  (registers the extensions so stix2.parse checks them)
from puente.stix import timestamps
from puente.stix.json_types import check_json_types
from puente.stix.object_rules import check_by_rules
from puente.stix.patterning import pattern, pattern_errors
from puente.stix.properties import (
    COMMON_CHECKS,
    CUSTOM_OBJECT_PROPERTIES,
    CUSTOM_PROPERTY,
    DOMAIN_TYPES,
    EXAMPLE,
    FORMATS,
    HAND_CHECKED,
    OBSERVABLE_TYPES,
    Check,
    InvalidStix,
    Unchecked,
    identifier,
    instant_of,
    is_identifier,
)
from puente.stix.timestamps import instant

# A type name: a-z, 0-9 and single hyphens, starting with a letter, 3 to 250 characters.
_TYPE = re.compile(r"(?=.{3,250}$)[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_FINER_THAN_MICROSECONDS = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6})\d+Z")

# Observables STIX 2.1 says must have one property that describes them (stix2 does not check it).
_AT_LEAST_ONE_PROPERTY = frozenset({"process", "windows-registry-key"})
_NOT_DESCRIPTIVE = frozenset({"type", "id", "spec_version", "object_marking_refs", "granular_markings", "defanged"})

# The TLP 1.0 marking definitions as the standard (and stix2) define them, by id.
_TLP1 = {
    marking.id: {k: v for k, v in orjson.loads(marking.serialize()).items() if k not in ("type", "id")}
    for marking in (stix2.TLP_WHITE, stix2.TLP_GREEN, stix2.TLP_AMBER, stix2.TLP_RED)
}


def _common(obj: dict[str, Any]) -> str:
    """Checks every object gets, whatever its type; returns its id."""
    stix_type = obj.get("type")
    raw_id = obj.get("id")
    label = raw_id if isinstance(raw_id, str) else f"a {stix_type or 'STIX'} object"
    if not isinstance(stix_type, str) or not _TYPE.fullmatch(stix_type):
        raise InvalidStix(label, "type", f"must be a STIX type name (lower case, digits, hyphens), not {stix_type!r}.")
    if raw_id is None:
        raise InvalidStix(label, "id", "is required.")
    identifier(label, "id", raw_id, (f"{stix_type}--",))
    # Observables need no spec_version or created; nor does a custom type, unless it is dated like an SDO.
    optional = stix_type in OBSERVABLE_TYPES or (
        is_custom_type(stix_type) and "created" not in obj and "modified" not in obj
    )
    if ("spec_version" in obj or not optional) and obj.get("spec_version") != "2.1":
        raise InvalidStix(
            raw_id, "spec_version", f"must be '2.1' (got {obj.get('spec_version')!r}): only STIX 2.1 is accepted."
        )
    if stix_type == "marking-definition":  # never versioned: any precision will do
        instant_of(raw_id, "created", obj.get("created"))
    elif not optional:
        created = _versioning_time(raw_id, "created", obj.get("created"))
        modified = _versioning_time(raw_id, "modified", obj.get("modified"))
        if modified < created:
            raise InvalidStix(raw_id, "modified", f"({obj['modified']}) is earlier than created ({obj['created']}).")
    return raw_id


def _versioning_time(object_id: str, prop: str, value: Any) -> int:
    moment = instant_of(object_id, prop, value)
    # A timestamp (as instant_of just read it) is 20 characters, or 21 and its fractional digits: it has
    # at least milliseconds exactly when it is 24 or longer (timestamps.has_milliseconds, without a regex).
    if len(value) < 24:
        raise InvalidStix(object_id, prop, f"must be precise to the millisecond, as in {EXAMPLE}, not {value!r}.")
    return moment


def _by_hand(obj: dict[str, Any], object_id: str) -> None:
    checks, required = HAND_CHECKED[obj["type"]]
    if not required <= obj.keys():
        missing = sorted(required - obj.keys())[0]
        raise InvalidStix(object_id, missing, "is required.")
    for prop, value in obj.items():
        check = checks.get(prop)
        if check is not None:
            check(object_id, prop, value)
        elif prop not in ("type", "id", "spec_version", "created", "modified") and not _custom(obj["type"], prop):
            raise Unchecked  # a standard property the hand check does not cover
    if obj["type"] == "indicator":
        if obj["pattern_type"] == "stix":
            pattern(object_id, "pattern", obj["pattern"])
        if "valid_until" in obj and instant(obj["valid_until"]) <= instant(obj["valid_from"]):
            raise InvalidStix(object_id, "valid_until", "must be later than valid_from.")
    elif obj["type"] == "relationship":
        if "start_time" in obj and "stop_time" in obj and instant(obj["stop_time"]) <= instant(obj["start_time"]):
            raise InvalidStix(object_id, "stop_time", "must be later than start_time.")
    elif obj["type"] == "file" and "hashes" not in obj and "name" not in obj:
        raise InvalidStix(object_id, "hashes", "or 'name' is required on a file.")


def _as_stix2_reads(value: Any) -> Any:
    """The value with timestamps cut to microseconds: STIX allows any fraction, Python's datetime
    (and so stix2) stops at microseconds; the digits beyond are kept in what Puente stores."""
    if isinstance(value, str):
        finer = _FINER_THAN_MICROSECONDS.fullmatch(value)
        return f"{finer[1]}Z" if finer else value
    if isinstance(value, dict):
        return {key: _as_stix2_reads(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_stix2_reads(item) for item in value]
    return value


def _by_stix2(obj: dict[str, Any], object_id: str) -> None:
    check_json_types(obj, stix2_definitions(obj["type"]), object_id)
    try:
        stix2.parse(_as_stix2_reads(obj), allow_custom=True, version="2.1")
    except stix2.exceptions.InvalidValueError as error:
        raise InvalidStix(object_id, error.prop_name, error.reason) from None
    except (stix2.exceptions.MissingPropertiesError, stix2.exceptions.ExtraPropertiesError) as error:
        props = ", ".join(repr(p) for p in error.properties)
        problem = "missing" if isinstance(error, stix2.exceptions.MissingPropertiesError) else "not allowed"
        raise InvalidStix(object_id, None, f"property {props} {problem}.") from None
    except stix2.exceptions.PropertyPresenceError as error:
        raise InvalidStix(object_id, None, str(error)) from None
    except stix2.exceptions.STIXError as error:
        raise InvalidStix(object_id, None, str(error)) from None
    except Exception as error:  # stix2 trips with AttributeError and the like on some malformed values
        raise InvalidStix(object_id, None, f"is malformed: {error}") from None


def check_object(obj: Any) -> dict[str, Any]:
    """Check one object as strictly as stix2.parse (allowing custom content); return it unchanged."""
    if not isinstance(obj, dict):
        raise InvalidStix("an object", None, f"must be a JSON object, not {type(obj).__name__}.")
    object_id = _common(obj)
    for prop, value in obj.items():
        # None, [] and {} are all falsy: the (rarer) falsy values alone are looked at more closely.
        if not value and (value is None or value == [] or (value == {} and not _custom(obj["type"], prop))):
            raise InvalidStix(object_id, prop, "must not be null or empty: leave the property out instead.")
    if obj["type"] in HAND_CHECKED:
        try:
            _by_hand(obj, object_id)
            return obj
        except Unchecked:
            pass
    custom_type = is_custom_type(obj["type"])
    known = CUSTOM_OBJECT_PROPERTIES if custom_type else stix2_known_properties(obj["type"])
    for prop in obj:
        if prop not in known and not custom_name(prop):
            raise InvalidStix(
                object_id, prop, "is not a valid custom property name (lower case a-z, 0-9, _; 3 to 250)."
            )
    _common_properties(obj, object_id)
    # A type stix2 does not know (`x-misp-attribute`, `x-mitre-tactic`, Incident Core's `task`) gets the
    # checks every object gets; the rest of it is the producer's and is kept as sent.
    if not custom_type and not check_by_rules(obj, object_id):
        _by_stix2(obj, object_id)
    return obj


@lru_cache(maxsize=4096)
def custom_name(prop: str) -> bool:
    """Whether a property name is a valid custom one; producers use a few dozen names thousands of times."""
    return CUSTOM_PROPERTY.fullmatch(prop) is not None


def _custom(stix_type: str, prop: str) -> bool:
    """A custom property: stix2 keeps it unchecked (allow_custom), so a valid name is all it needs."""
    return prop not in stix2_known_properties(stix_type) and custom_name(prop)


def _lenient(check: Check) -> Check:
    def lenient(object_id: str, prop: str, value: Any) -> None:
        # What the common check leaves open, stix2 judges. (try/except, not contextlib.suppress: it runs
        # for nearly every object, and entering a context manager costs more than the check.)
        try:  # noqa: SIM105
            check(object_id, prop, value)
        except Unchecked:
            pass

    return lenient


_LENIENT_COMMON = {prop: _lenient(check) for prop, check in COMMON_CHECKS.items()}


def _identifiers(object_id: str, prop: str, value: Any) -> None:
    # stix2 takes any UUID of the RFC 4122 variant; the standard's identifiers are of versions 1 to 5.
    for item in value if isinstance(value, list) else [value]:
        identifier(object_id, prop, item)


@lru_cache(maxsize=256)
def _property_checks(stix_type: str) -> dict[str, Check]:
    """The check `_common_properties` gives each property of a type, found once per type: a common
    check, else the type's format of it, else, for stix2's references, the standard's identifiers."""
    checks: dict[str, Check] = {
        prop: _identifiers for prop in stix2_known_properties(stix_type) if prop.endswith(("_ref", "_refs"))
    }
    checks |= {prop: check for (kind, prop), check in FORMATS.items() if kind == stix_type}
    return checks | _LENIENT_COMMON


def _common_properties(obj: dict[str, Any], object_id: str) -> None:
    """Properties with one meaning on every object, and an observable's value, in the standard's terms
    (stix2 is lenient with some: a confidence of 101, a malformed address)."""
    checks = _property_checks(obj["type"])
    for prop, value in obj.items():
        check = checks.get(prop)
        if check is not None:
            check(object_id, prop, value)
    if obj["type"] == "artifact" and "decryption_key" in obj and "encryption_algorithm" not in obj:
        raise InvalidStix(object_id, "decryption_key", "must not be present without encryption_algorithm.")
    if obj["type"] in _AT_LEAST_ONE_PROPERTY and not set(obj) - _NOT_DESCRIPTIVE:
        raise InvalidStix(object_id, None, f"a {obj['type']} needs at least one property besides its type and id.")
    if obj["type"] == "marking-definition" and obj.get("definition_type") == "tlp":
        official = _TLP1.get(obj["id"])
        if official is None or {k: v for k, v in obj.items() if k not in ("type", "id")} != official:
            raise InvalidStix(
                object_id, "definition", "a TLP 1.0 marking must be one of the four the standard defines."
            )


@lru_cache(maxsize=256)
def stix2_definitions(stix_type: str) -> dict[str, Any]:
    """stix2's property definitions for a type; empty for a type it does not know."""
    cls = class_for_type(stix_type, "2.1")
    return dict(cls._properties) if cls is not None else {}


@lru_cache(maxsize=256)
def stix2_known_properties(stix_type: str) -> frozenset[str]:
    return frozenset(stix2_definitions(stix_type))


def is_custom_type(stix_type: str) -> bool:
    """Whether the type is not one STIX 2.1 defines: a custom object (section 11.2, or a new-sdo/sco/sro).
    Decided on the standard's list, not stix2's registry, which libraries such as misp-stix extend."""
    return stix_type not in OBSERVABLE_TYPES and stix_type not in DOMAIN_TYPES


def check_content(data: Any) -> list[dict[str, Any]]:
    """Check a bundle (or one bare object) and return its objects."""
    if not isinstance(data, dict):
        raise InvalidStix("the input", None, "must be a STIX bundle or object (a JSON object).")
    if data.get("type") != "bundle":
        return [check_object(data)]
    bundle_id = data.get("id")
    label = bundle_id if isinstance(bundle_id, str) else "the bundle"
    identifier(label, "id", bundle_id, ("bundle--",))
    objects = data.get("objects", [])
    if not isinstance(objects, list):
        raise InvalidStix(label, "objects", "must be a list of STIX objects.")
    for prop in data:
        if prop not in ("type", "id", "objects", "spec_version") and not CUSTOM_PROPERTY.fullmatch(prop):
            raise InvalidStix(label, prop, "is not allowed on a bundle.")
    for obj in objects:
        check_object(obj)
    return objects


def forget_what_was_read() -> None:
    """Empty the caches filled while checking objects (timestamps, pattern shapes): after a large upload,
    so that nothing of it stays alive to keep its memory from going back to the system."""
    pattern_errors.cache_clear()
    is_identifier.cache_clear()
    custom_name.cache_clear()
    timestamps.forget_cached()
