"""Observables as STIX: the SCO (with the deterministic id STIX 2.1 prescribes) and the pattern.

Only the single-comparison patterns Puente writes are read back here; any other pattern is
kept with its indicator but yields no observable.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, NamedTuple
from urllib.parse import quote

import orjson


class Observable(NamedTuple):
    """An observable as STIX sees it: Puente's kind (`ipv4-addr` … `md5`, `sha1`, `sha256`) and value."""

    kind: str
    value: str


# STIX 2.1 section 2.9: the namespace of every SCO's UUIDv5.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

# Puente's observable kinds (services.tickets.observables.ObservableKind values) and their STIX names.
HASH_NAMES: dict[str, str] = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}
HASH_KINDS: dict[str, str] = {name: kind for kind, name in HASH_NAMES.items()}
VALUE_TYPES = frozenset({"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr"})
SCO_TYPES = VALUE_TYPES | {"file"}
IP_TYPES = frozenset({"ipv4-addr", "ipv6-addr"})

_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}
_HEX = re.compile(r"[0-9a-fA-F]+")

# The whole grammar of the patterns Puente writes: one comparison, a string literal with only
# \' and \\ escaped. A pattern matching this is valid STIX patterning by construction.
SIMPLE_PATTERN = re.compile(
    r"\[(?:(?P<type>ipv4-addr|ipv6-addr|domain-name|url|email-addr):value (?P<op>=|ISSUBSET)"
    r" '(?P<literal>(?:[^'\\]|\\['\\])*)'"
    r"|file:hashes\.(?:(?P<md5>MD5) = '[0-9a-fA-F]{32}'|'(?P<sha1>SHA-1)' = '[0-9a-fA-F]{40}'"
    r"|'(?P<sha256>SHA-256)' = '[0-9a-fA-F]{64}'))\]"
)
_UNESCAPE = re.compile(r"\\(['\\])")


_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# RFC 3986 reserved characters and '%' (of escapes already made); letters, digits and -._~ are always kept.
_URI_SAFE = ":/?#[]@!$&'()*+,;=%"


def uri(value: str) -> str:
    """A URL as an RFC 3986 URI, as the `url` SCO requires: other characters percent-encoded (idempotent).

    An internationalised host is written in punycode (RFC 3987 section 3.1), as browsers and resolvers
    read it. Brackets are legal only around an IPv6 host, so they are kept in the authority and encoded after it.
    """
    value = _STRAY_PERCENT.sub("%25", value)
    scheme, separator, rest = value.partition("://")
    if not separator:
        return quote(value, safe=_URI_SAFE.replace("[]", ""))
    end = next((i for i, char in enumerate(rest) if char in "/?#"), len(rest))
    authority, tail = rest[:end], rest[end:]
    userinfo, at, hostport = authority.rpartition("@")
    host, colon, port = hostport.partition(":") if not hostport.startswith("[") else (hostport, "", "")
    authority = f"{userinfo}{at}{_ascii_host(host)}{colon}{port}"
    return f"{scheme}://{quote(authority, safe=_URI_SAFE)}{quote(tail, safe=_URI_SAFE.replace('[]', ''))}"


def _ascii_host(host: str) -> str:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host  # not a valid IDN: percent-encoded like any other character


def _canonical(data: dict[str, Any]) -> bytes:
    # RFC 8785 (JCS) for the string-valued objects used here: sorted keys, no whitespace, raw UTF-8.
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def sco_id(sco_type: str, contributing: dict[str, Any]) -> str:
    """The deterministic id of an SCO from its id-contributing properties."""
    return f"{sco_type}--{uuid.uuid5(SCO_NAMESPACE, _canonical(contributing).decode())}"


def sco_type(observable: Observable) -> str:
    return "file" if observable.kind in HASH_NAMES else observable.kind


def sco(observable: Observable, marking_refs: list[str]) -> dict[str, Any]:
    """The SCO of an observable: a `file` with one hash, or an address/name/URL with its value."""
    if observable.kind in HASH_NAMES:
        contributing: dict[str, Any] = {"hashes": {HASH_NAMES[observable.kind]: observable.value}}
    else:
        contributing = {"value": uri(observable.value) if observable.kind == "url" else observable.value}
    kind = sco_type(observable)
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": sco_id(kind, contributing),
        **contributing,
        "object_marking_refs": marking_refs,
    }


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern(observable: Observable) -> str:
    """The STIX pattern detecting an observable; a CIDR matches any address inside it (ISSUBSET)."""
    if observable.kind in HASH_NAMES:
        name = HASH_NAMES[observable.kind]
        path = f"hashes.{name}" if name == "MD5" else f"hashes.'{name}'"
        return f"[file:{path} = {_literal(observable.value)}]"
    operator = "ISSUBSET" if observable.kind in IP_TYPES and "/" in observable.value else "="
    value = uri(observable.value) if observable.kind == "url" else observable.value
    return f"[{observable.kind}:value {operator} {_literal(value)}]"


def observable_of_pattern(text: str) -> Observable | None:
    """The observable of a single-comparison pattern as Puente writes them, else None."""
    found = SIMPLE_PATTERN.fullmatch(text)
    if found is None:
        return None
    if found["type"] is None:
        name = found["md5"] or found["sha1"] or found["sha256"]
        return _hash_observable(name, text.rsplit("'", 2)[-2])
    if found["op"] == "ISSUBSET" and found["type"] not in IP_TYPES:
        return None
    literal = found["literal"]
    return Observable(found["type"], _UNESCAPE.sub(r"\1", literal) if "\\" in literal else literal)


def _hash_observable(name: str, value: str) -> Observable | None:
    kind = HASH_KINDS.get(name)
    if kind is None or len(value) != _HEX_LENGTHS[kind] or not _HEX.fullmatch(value):
        return None
    return Observable(kind, value.lower())


def observables_of_sco(obj: dict[str, Any]) -> list[Observable]:
    """What Puente tracks of an SCO: its value, or each MD5/SHA-1/SHA-256 of a file."""
    kind = obj.get("type")
    if kind in VALUE_TYPES and isinstance(obj.get("value"), str):
        return [Observable(kind, obj["value"])]
    if kind == "file" and isinstance(obj.get("hashes"), dict):
        found = (_hash_observable(name, value) for name, value in obj["hashes"].items() if isinstance(value, str))
        return [o for o in found if o is not None]
    return []
