"""Strict checking of incoming STIX 2.1, fast enough for a 40,000-object ticket.

`stix2.parse` is the yardstick but spends most of its time in the ANTLR pattern parser and in
building objects. Here the kinds a ticket is made of (indicator, relationship and the SCOs of
Puente's observables) are checked by hand against the same rules, property by property;
a pattern of the one-comparison form Puente writes is valid by construction of its regular
expression, any other goes through the stix2-patterns validator (cached). Every other object,
and any of those kinds carrying a property the hand check does not know, is checked by
`stix2.parse` itself. Custom properties and objects are accepted as `allow_custom=True` does:
third-party content is kept, never dropped.

A refusal names the object and the property: `indicator--…: 'pattern' …`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

import stix2
import stix2.exceptions
from stix2patterns.validator import run_validator

import puente.stix.extensions  # noqa: F401  (registers the extensions so stix2.parse checks them)
from puente.stix.patterns import SIMPLE_PATTERN


class InvalidStix(ValueError):
    """One object is not valid STIX 2.1; the message names it and the property at fault."""

    def __init__(self, object_id: str, prop: str | None, problem: str) -> None:
        where = f"{object_id}: {prop!r}" if prop else object_id
        super().__init__(f"{where} {problem}")
        self.object_id = object_id
        self.prop = prop


_TYPE_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_TYPE = re.compile(_TYPE_PATTERN)
# type--UUID, the UUID of the RFC 4122 variant as stix2 requires for 2.1.
_IDENTIFIER = re.compile(
    _TYPE_PATTERN + r"--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
)
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z")
_CUSTOM_PROPERTY = re.compile(r"[a-z][a-z0-9_]{2,249}")
_HASH_HEX = {"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-512": 128}
# STIX cyber-observables: facts with deterministic ids and no creator.
OBSERVABLE_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
_NOT_RELATABLE = ("bundle--", "language-content--", "marking-definition--", "relationship--", "sighting--")

Check = Callable[[str, str, Any], None]


def _fail(object_id: str, prop: str, problem: str) -> None:
    raise InvalidStix(object_id, prop, problem)


def _string(object_id: str, prop: str, value: Any) -> None:
    if type(value) is not str:
        _fail(object_id, prop, f"must be a string, not {type(value).__name__}.")


def _identifier(object_id: str, prop: str, value: Any, prefixes: tuple[str, ...] | None = None) -> None:
    if type(value) is not str or _IDENTIFIER.fullmatch(value) is None:
        _fail(object_id, prop, f"{value!r} is not a valid STIX 2.1 identifier (type--RFC 4122 UUID).")
    if prefixes is not None and not value.startswith(prefixes):
        _fail(object_id, prop, f"must refer to {' or '.join(p.rstrip('-') for p in prefixes)}, not {value!r}.")


def _ref(*types: str) -> Check:
    prefixes = tuple(f"{t}--" for t in types)
    return lambda object_id, prop, value: _identifier(object_id, prop, value, prefixes)


def _relatable(object_id: str, prop: str, value: Any) -> None:
    _identifier(object_id, prop, value)
    if value.startswith(_NOT_RELATABLE):
        _fail(object_id, prop, f"cannot refer to a {value.partition('--')[0]}.")


def _ref_list(*types: str) -> Check:
    one = _ref(*types)

    def check(object_id: str, prop: str, value: Any) -> None:
        _non_empty_list(object_id, prop, value)
        for item in value:
            one(object_id, prop, item)

    return check


def timestamp(object_id: str, prop: str, value: Any) -> datetime:
    if type(value) is not str or (moment := _moment(value)) is None:
        raise InvalidStix(object_id, prop, f"must be a STIX timestamp such as 2026-03-01T08:30:00.000Z, not {value!r}.")
    return moment


@lru_cache(maxsize=8192)
def _moment(value: str) -> datetime | None:
    # Objects of one ticket share a few timestamps: parse each once.
    if not _TIMESTAMP.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _timestamp(object_id: str, prop: str, value: Any) -> None:
    timestamp(object_id, prop, value)


def _boolean(object_id: str, prop: str, value: Any) -> None:
    if not isinstance(value, bool):
        _fail(object_id, prop, "must be true or false.")


def _non_empty_list(object_id: str, prop: str, value: Any) -> None:
    if not isinstance(value, list) or not value:
        _fail(object_id, prop, "must be a non-empty list.")


def _strings(object_id: str, prop: str, value: Any) -> None:
    _non_empty_list(object_id, prop, value)
    for item in value:
        _string(object_id, prop, item)


def _confidence(object_id: str, prop: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        _fail(object_id, prop, f"must be an integer from 0 to 100, not {value!r}.")


def _external_references(object_id: str, prop: str, value: Any) -> None:
    _non_empty_list(object_id, prop, value)
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("source_name"), str):
            _fail(object_id, prop, "each entry needs a source_name string.")
        if not set(item) <= {"source_name", "description", "url", "external_id"}:
            raise _Unchecked  # hashes and custom keys: let stix2 judge
        for key in ("description", "url", "external_id"):
            if key in item:
                _string(object_id, prop, item[key])


def _kill_chain_phases(object_id: str, prop: str, value: Any) -> None:
    _non_empty_list(object_id, prop, value)
    for item in value:
        if not isinstance(item, dict) or set(item) != {"kill_chain_name", "phase_name"}:
            _fail(object_id, prop, "each entry must have exactly kill_chain_name and phase_name.")
        for key in ("kill_chain_name", "phase_name"):
            _string(object_id, prop, item[key])


def _hashes(object_id: str, prop: str, value: Any) -> None:
    if not isinstance(value, dict) or not value:
        _fail(object_id, prop, "must be a non-empty dictionary of hash algorithm to value.")
    for name, digest in value.items():
        if name not in _HASH_HEX:
            raise _Unchecked
        if not isinstance(digest, str) or len(digest) != _HASH_HEX[name] or not re.fullmatch(r"[0-9a-fA-F]+", digest):
            _fail(object_id, prop, f"{name} must be {_HASH_HEX[name]} hexadecimal digits, not {digest!r}.")


@lru_cache(maxsize=4096)
def _pattern_errors(pattern: str) -> tuple[str, ...]:
    if not pattern.strip():
        return ("the pattern is empty",)
    try:
        return tuple(run_validator(pattern, stix_version="2.1"))
    except Exception as error:  # the validator itself trips on some garbage; that is still a refusal
        return (f"unparseable ({type(error).__name__})",)


def _pattern(object_id: str, prop: str, value: Any) -> None:
    _string(object_id, prop, value)
    if SIMPLE_PATTERN.fullmatch(value):
        return
    errors = _pattern_errors(value)
    if errors:
        _fail(object_id, prop, f"is not a valid STIX pattern: {errors[0]}")


class _Unchecked(Exception):
    """The hand check does not cover this object; stix2.parse decides."""


_SDO_COMMON: dict[str, Check] = {
    "created_by_ref": _ref("identity"),
    "revoked": _boolean,
    "labels": _strings,
    "confidence": _confidence,
    "lang": _string,
    "external_references": _external_references,
    "object_marking_refs": _ref_list("marking-definition"),
}
_SCO_COMMON: dict[str, Check] = {
    "object_marking_refs": _ref_list("marking-definition"),
    "defanged": _boolean,
}

_HAND_CHECKED: dict[str, tuple[dict[str, Check], frozenset[str]]] = {
    "indicator": (
        _SDO_COMMON
        | {
            "name": _string,
            "description": _string,
            "indicator_types": _strings,
            "pattern": _string,
            "pattern_type": _string,
            "pattern_version": _string,
            "valid_from": _timestamp,
            "valid_until": _timestamp,
            "kill_chain_phases": _kill_chain_phases,
        },
        frozenset({"pattern", "pattern_type", "valid_from"}),
    ),
    "relationship": (
        _SDO_COMMON
        | {
            "relationship_type": _string,
            "description": _string,
            "source_ref": _relatable,
            "target_ref": _relatable,
            "start_time": _timestamp,
            "stop_time": _timestamp,
        },
        frozenset({"relationship_type", "source_ref", "target_ref"}),
    ),
    "ipv4-addr": (_SCO_COMMON | {"value": _string}, frozenset({"value"})),
    "ipv6-addr": (_SCO_COMMON | {"value": _string}, frozenset({"value"})),
    "domain-name": (_SCO_COMMON | {"value": _string}, frozenset({"value"})),
    "url": (_SCO_COMMON | {"value": _string}, frozenset({"value"})),
    "email-addr": (_SCO_COMMON | {"value": _string, "display_name": _string}, frozenset({"value"})),
    "file": (_SCO_COMMON | {"hashes": _hashes, "name": _string}, frozenset()),
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
    _identifier(label, "id", raw_id, (f"{stix_type}--",))
    is_sco = stix_type in OBSERVABLE_TYPES
    if ("spec_version" in obj or not is_sco) and obj.get("spec_version") != "2.1":
        raise InvalidStix(
            raw_id, "spec_version", f"must be '2.1' (got {obj.get('spec_version')!r}): only STIX 2.1 is accepted."
        )
    if not is_sco and stix_type != "marking-definition":
        created = timestamp(raw_id, "created", obj.get("created"))
        modified = timestamp(raw_id, "modified", obj.get("modified"))
        if modified < created:
            raise InvalidStix(raw_id, "modified", f"({obj['modified']}) is earlier than created ({obj['created']}).")
    return raw_id


def _by_hand(obj: dict[str, Any], object_id: str) -> None:
    checks, required = _HAND_CHECKED[obj["type"]]
    for prop in required:
        if obj.get(prop) in (None, "", []):
            raise InvalidStix(object_id, prop, "is required.")
    for prop, value in obj.items():
        check = checks.get(prop)
        if check is not None:
            check(object_id, prop, value)
        elif prop not in ("type", "id", "spec_version", "created", "modified"):
            raise _Unchecked
    if obj["type"] == "indicator":
        if obj["pattern_type"] == "stix":
            _pattern(object_id, "pattern", obj["pattern"])
        if "valid_until" in obj and obj["valid_until"] <= obj["valid_from"]:
            raise InvalidStix(object_id, "valid_until", "must be later than valid_from.")
    elif obj["type"] == "relationship":
        if "start_time" in obj and "stop_time" in obj and obj["stop_time"] <= obj["start_time"]:
            raise InvalidStix(object_id, "stop_time", "must be later than start_time.")
    elif obj["type"] == "file" and "hashes" not in obj and "name" not in obj:
        raise InvalidStix(object_id, "hashes", "or 'name' is required on a file.")


def _by_stix2(obj: dict[str, Any], object_id: str) -> None:
    try:
        stix2.parse(obj, allow_custom=True, version="2.1")
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
    if obj["type"] in _HAND_CHECKED:
        try:
            _by_hand(obj, object_id)
            return obj
        except _Unchecked:
            pass
    for prop in obj:
        if prop not in stix2_known_properties(obj["type"]) and not _CUSTOM_PROPERTY.fullmatch(prop):
            raise InvalidStix(
                object_id, prop, "is not a valid custom property name (lower case a-z, 0-9, _; 3 to 250)."
            )
    _by_stix2(obj, object_id)
    return obj


@lru_cache(maxsize=128)
def stix2_known_properties(stix_type: str) -> frozenset[str]:
    from stix2.registry import class_for_type

    cls = class_for_type(stix_type, "2.1")
    return frozenset(cls._properties) if cls is not None else frozenset()


def check_content(data: Any) -> list[dict[str, Any]]:
    """Check a bundle (or one bare object) and return its objects."""
    if not isinstance(data, dict):
        raise InvalidStix("the input", None, "must be a STIX bundle or object (a JSON object).")
    if data.get("type") != "bundle":
        return [check_object(data)]
    bundle_id = data.get("id")
    label = bundle_id if isinstance(bundle_id, str) else "the bundle"
    _identifier(label, "id", bundle_id, ("bundle--",))
    objects = data.get("objects", [])
    if not isinstance(objects, list):
        raise InvalidStix(label, "objects", "must be a list of STIX objects.")
    for prop in data:
        if prop not in ("type", "id", "objects", "spec_version") and not _CUSTOM_PROPERTY.fullmatch(prop):
            raise InvalidStix(label, prop, "is not allowed on a bundle.")
    for obj in objects:
        check_object(obj)
    return objects
