"""Checks of single STIX property values, and the kinds of object checked by hand with them.

Each check takes the object's id, the property's name and its value, and raises `InvalidStix`
naming both; `Unchecked` says "not covered here: let stix2 judge the whole object".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import idna

from puente.stix.timestamps import instant


class InvalidStix(ValueError):
    """One object is not valid STIX 2.1; the message names it and the property at fault."""

    def __init__(self, object_id: str, prop: str | None, problem: str) -> None:
        where = f"{object_id}: {prop!r}" if prop else object_id
        super().__init__(f"{where} {problem}")
        self.object_id = object_id
        self.prop = prop


# A type name: a-z, 0-9 and single hyphens, starting with a letter, 3 to 250 characters.
# type--UUID: an RFC 4122 UUID (variant 8-b) of version 1 to 5, as the OASIS validator requires.
IDENTIFIER = re.compile(
    r"(?=[a-z0-9-]{3,250}--)[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
    r"--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
)
EXAMPLE = "2026-03-01T08:30:00.000Z"
CUSTOM_PROPERTY = re.compile(r"[a-z][a-z0-9_]{2,249}")
HASH_HEX = {"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-512": 128}
# The STIX 2.1 cyber-observable types.
OBSERVABLE_NAMES = (
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
    "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
    "user-account", "windows-registry-key", "x509-certificate",
)  # fmt: skip
# STIX cyber-observables: facts with deterministic ids and no creator.
OBSERVABLE_TYPES = frozenset(OBSERVABLE_NAMES)
# The other object types STIX 2.1 defines: domain and relationship objects and the meta objects.
DOMAIN_TYPES = frozenset(
    {
        "attack-pattern", "campaign", "course-of-action", "extension-definition", "grouping", "identity",
        "incident", "indicator", "infrastructure", "intrusion-set", "language-content", "location", "malware",
        "malware-analysis", "marking-definition", "note", "observed-data", "opinion", "relationship", "report",
        "sighting", "threat-actor", "tool", "vulnerability",
    }
)  # fmt: skip
NOT_RELATABLE = ("bundle--", "language-content--", "marking-definition--", "relationship--", "sighting--")

Check = Callable[[str, str, Any], None]


def fail(object_id: str, prop: str, problem: str) -> None:
    raise InvalidStix(object_id, prop, problem)


def string(object_id: str, prop: str, value: Any) -> None:
    if type(value) is not str:
        fail(object_id, prop, f"must be a string, not {type(value).__name__}.")


@lru_cache(maxsize=16384)
def is_identifier(value: str) -> bool:
    """Whether a text is a STIX 2.1 identifier. Remembered: a bundle names its identities, markings and
    objects again and again (a MISP event's grouping lists every object of the event)."""
    return IDENTIFIER.fullmatch(value) is not None


def identifier(object_id: str, prop: str, value: Any, prefixes: tuple[str, ...] | None = None) -> None:
    if type(value) is not str or not is_identifier(value):
        fail(object_id, prop, f"{value!r} is not a valid STIX 2.1 identifier (type--RFC 4122 UUID).")
    if prefixes is not None and not value.startswith(prefixes):
        fail(object_id, prop, f"must refer to {' or '.join(p.rstrip('-') for p in prefixes)}, not {value!r}.")


def ref(*types: str) -> Check:
    prefixes = tuple(f"{t}--" for t in types)

    def check(object_id: str, prop: str, value: Any) -> None:
        # Run on nearly every object: the usual case in one test, `identifier` to say what is wrong.
        if type(value) is not str or not is_identifier(value) or not value.startswith(prefixes):
            identifier(object_id, prop, value, prefixes)

    return check


def relatable(object_id: str, prop: str, value: Any) -> None:
    identifier(object_id, prop, value)
    if value.startswith(NOT_RELATABLE):
        fail(object_id, prop, f"cannot refer to a {value.partition('--')[0]}.")


def domain_object(object_id: str, prop: str, value: Any) -> None:
    """A reference to a STIX domain object (what a sighting is of)."""
    relatable(object_id, prop, value)
    if value.startswith(("extension-definition--", *(f"{kind}--" for kind in OBSERVABLE_NAMES))):
        fail(object_id, prop, f"must refer to a domain object, not a {value.partition('--')[0]}.")


def ref_list(*types: str) -> Check:
    prefixes = tuple(f"{t}--" for t in types)

    def check(object_id: str, prop: str, value: Any) -> None:
        non_empty_list(object_id, prop, value)
        for item in value:
            if type(item) is not str or not is_identifier(item) or not item.startswith(prefixes):
                identifier(object_id, prop, item, prefixes)

    return check


def instant_of(object_id: str, prop: str, value: Any) -> int:
    """The instant of a timestamp property (stix.timestamps), or a refusal naming it."""
    try:
        return instant(value) if type(value) is str else instant("")
    except ValueError:
        raise InvalidStix(object_id, prop, f"must be a STIX timestamp such as {EXAMPLE}, not {value!r}.") from None


def timestamp(object_id: str, prop: str, value: Any) -> None:
    instant_of(object_id, prop, value)


def boolean(object_id: str, prop: str, value: Any) -> None:
    if not isinstance(value, bool):
        fail(object_id, prop, "must be true or false.")


def non_empty_list(object_id: str, prop: str, value: Any) -> None:
    if not isinstance(value, list) or not value:
        fail(object_id, prop, "must be a non-empty list.")


def strings(object_id: str, prop: str, value: Any) -> None:
    non_empty_list(object_id, prop, value)
    for item in value:
        string(object_id, prop, item)


def confidence(object_id: str, prop: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        fail(object_id, prop, f"must be an integer from 0 to 100, not {value!r}.")


_EXTERNAL_REFERENCE_KEYS = frozenset({"source_name", "description", "url", "external_id"})


def external_references(object_id: str, prop: str, value: Any) -> None:
    non_empty_list(object_id, prop, value)
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("source_name"), str):
            fail(object_id, prop, "each entry needs a source_name string.")
        if not item.keys() <= _EXTERNAL_REFERENCE_KEYS:
            raise Unchecked  # hashes and custom keys: let stix2 judge
        if len(item) == 1:
            fail(object_id, prop, "each entry needs a description, an external_id or a url besides its source_name.")
        for key in ("description", "url", "external_id"):
            if key in item:
                string(object_id, prop, item[key])


def kill_chain_phases(object_id: str, prop: str, value: Any) -> None:
    non_empty_list(object_id, prop, value)
    for item in value:
        if not isinstance(item, dict) or set(item) != {"kill_chain_name", "phase_name"}:
            fail(object_id, prop, "each entry must have exactly kill_chain_name and phase_name.")
        for key in ("kill_chain_name", "phase_name"):
            string(object_id, prop, item[key])


def hashes(object_id: str, prop: str, value: Any) -> None:
    if not isinstance(value, dict) or not value:
        fail(object_id, prop, "must be a non-empty dictionary of hash algorithm to value.")
    for name, digest in value.items():
        if name not in HASH_HEX:
            raise Unchecked
        if not isinstance(digest, str) or len(digest) != HASH_HEX[name] or not re.fullmatch(r"[0-9a-fA-F]+", digest):
            fail(object_id, prop, f"{name} must be {HASH_HEX[name]} hexadecimal digits, not {digest!r}.")


# Formats STIX 2.1 gives some values; where the OASIS validator spells one out, its expression is used.
_IPV4 = re.compile(
    r"(?:(?:[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\.){3}(?:[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])"
    r"(?:/(?:3[0-2]|[1-2][0-9]|[0-9]))?"
)
_MAC = re.compile(r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}")
_EMAIL = re.compile(r"[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+")
# RFC 3986 URI: a scheme, then unreserved, reserved and percent-encoded characters (one fragment at most).
_URI_CHARS = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})"
_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+.\-]*:(?:{_URI_CHARS}|[\[\]])*(?:#{_URI_CHARS}*)?")
_CPE_PART = r"(?:(?:\?*|\*?)(?:[a-zA-Z0-9\-._]|\\[\\*?!\"#$%&'()+,/:;<=>@\[\]^`{|}~])+(?:\?*|\*?)|[*\-])"
_CPE = re.compile(
    rf"cpe:2\.3:[aho*\-](?::{_CPE_PART}){{5}}(?::(?:[a-zA-Z]{{2,3}}(?:-(?:[a-zA-Z]{{2}}|[0-9]{{3}}))?|[*\-]))"
    rf"(?::{_CPE_PART}){{4}}"
)
_LANGUAGE = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{1,8})*")
_RELATIONSHIP_TYPE = re.compile(r"[a-z0-9-]+")
_CHARACTER_SET = re.compile(r"[a-zA-Z0-9/.+_:-]{1,40}")
_MEDIA_TYPE = re.compile(r"(?:application|audio|font|image|message|model|multipart|text|video)/[a-zA-Z0-9.+_-]+.*")


def _matching(expression: re.Pattern[str], what: str) -> Check:
    def check(object_id: str, prop: str, value: Any) -> None:
        string(object_id, prop, value)
        if expression.fullmatch(value) is None:
            fail(object_id, prop, f"{value!r} is not {what}.")

    return check


def ipv6(object_id: str, prop: str, value: Any) -> None:
    string(object_id, prop, value)
    try:
        ipaddress.IPv6Network(value, strict=False) if "/" in value else ipaddress.IPv6Address(value)
    except ValueError:
        fail(object_id, prop, f"{value!r} is not an IPv6 address or CIDR block.")


# Names of ASCII letters, digits and inner hyphens pass IDNA as they are: no need to run it (it is slow).
_PLAIN_HOSTNAME = re.compile(
    r"(?=.{1,253}$)(?:(?!..--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*(?!..--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


def domain(object_id: str, prop: str, value: Any) -> None:
    string(object_id, prop, value)
    if _PLAIN_HOSTNAME.fullmatch(value):
        return
    try:
        idna.encode(value)
    except (idna.IDNAError, UnicodeError, ValueError):
        fail(object_id, prop, f"{value!r} is not a domain name (RFC 1034, or IDNA for internationalised names).")


ipv4 = _matching(_IPV4, "an IPv4 address or CIDR block such as 198.51.100.0/24")
mac = _matching(_MAC, "a lower-case colon-separated MAC-48 address such as 00:00:5e:00:53:af")
email = _matching(_EMAIL, "an e-mail address such as name@domain.example")
uri = _matching(_URI, "an RFC 3986 URI (non-ASCII characters percent-encoded, hosts in punycode)")
language = _matching(_LANGUAGE, "an RFC 5646 language tag such as en or pt-BR")
relationship_type = _matching(_RELATIONSHIP_TYPE, "a relationship type (lower case a-z, 0-9 and hyphens)")
media_type = _matching(_MEDIA_TYPE, "an IANA media type such as application/pdf")


character_set = _matching(_CHARACTER_SET, "a character set name such as UTF-8 or ISO-8859-1")
cpe = _matching(_CPE, "a CPE 2.3 name such as cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*")
# The formats of properties of one type that stix2 takes as any string: (type, property) -> check.
FORMATS: dict[tuple[str, str], Check] = {
    ("ipv4-addr", "value"): ipv4,
    ("ipv6-addr", "value"): ipv6,
    ("mac-addr", "value"): mac,
    ("email-addr", "value"): email,
    ("domain-name", "value"): domain,
    ("url", "value"): uri,
    ("artifact", "url"): uri,
    ("artifact", "mime_type"): media_type,
    ("relationship", "relationship_type"): relationship_type,
    ("directory", "path_enc"): character_set,
    ("file", "name_enc"): character_set,
    ("sighting", "sighting_of_ref"): domain_object,
    ("software", "cpe"): cpe,
}


class Unchecked(Exception):
    """The hand check does not cover this object; stix2.parse decides."""


SDO_COMMON: dict[str, Check] = {
    "created_by_ref": ref("identity"),
    "revoked": boolean,
    "labels": strings,
    "confidence": confidence,
    "lang": language,
    "external_references": external_references,
    "object_marking_refs": ref_list("marking-definition"),
}
SCO_COMMON: dict[str, Check] = {
    "object_marking_refs": ref_list("marking-definition"),
    "defanged": boolean,
}


def dictionary(object_id: str, prop: str, value: Any) -> None:
    if not isinstance(value, dict):
        fail(object_id, prop, "must be a dictionary.")


# Properties with one meaning on every object, custom objects included.
COMMON_CHECKS: dict[str, Check] = SDO_COMMON | {"defanged": boolean, "extensions": dictionary}
CUSTOM_OBJECT_PROPERTIES = frozenset(
    {"type", "id", "spec_version", "created", "modified", "granular_markings", *COMMON_CHECKS}
)

HAND_CHECKED: dict[str, tuple[dict[str, Check], frozenset[str]]] = {
    "indicator": (
        SDO_COMMON
        | {
            "name": string,
            "description": string,
            "indicator_types": strings,
            "pattern": string,
            "pattern_type": string,
            "pattern_version": string,
            "valid_from": timestamp,
            "valid_until": timestamp,
            "kill_chain_phases": kill_chain_phases,
        },
        frozenset({"pattern", "pattern_type", "valid_from"}),
    ),
    "relationship": (
        SDO_COMMON
        | {
            "relationship_type": relationship_type,
            "description": string,
            "source_ref": relatable,
            "target_ref": relatable,
            "start_time": timestamp,
            "stop_time": timestamp,
        },
        frozenset({"relationship_type", "source_ref", "target_ref"}),
    ),
    "ipv4-addr": (SCO_COMMON | {"value": ipv4}, frozenset({"value"})),
    "ipv6-addr": (SCO_COMMON | {"value": ipv6}, frozenset({"value"})),
    "domain-name": (SCO_COMMON | {"value": domain}, frozenset({"value"})),
    "url": (SCO_COMMON | {"value": uri}, frozenset({"value"})),
    "email-addr": (SCO_COMMON | {"value": email, "display_name": string}, frozenset({"value"})),
    "file": (SCO_COMMON | {"hashes": hashes, "name": string}, frozenset()),
}
