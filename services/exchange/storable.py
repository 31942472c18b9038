"""What the database can hold of an object a partner or peer sends: checked before anything is stored.

STIX validation (stix/validation.py) says whether an object is well-formed; this says whether storing
it and acting on it can succeed on SQLite and PostgreSQL alike: no NUL character anywhere (PostgreSQL
text refuses it), no nesting deeper than JSON tools handle, ids and versions that fit their columns,
and the assistance fields an RFA writes (request id, references, severity) of the right type and
length. The lengths are read from the storage models, so a column changed there is checked here.
An object refused here is answered at the TAXII door as a failure in the status, refused by the
inbox when a polled peer sends it (so that it can never stop ingestion), and refused by `puente
import` in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Column

from puente.services.vocabularies.taxonomy import Severity
from puente.stix import assistance as stix_notes
from puente.stix.timestamps import instant
from puente.storage.assistance import AssistanceRequest
from puente.storage.collections import CollectionEntry
from puente.storage.peers import TicketLink

# Well below the 254 levels orjson writes and Python's recursion limit; STIX content needs a handful.
MAX_DEPTH = 32


def _length(attribute: Any) -> int:
    column: Column[Any] = attribute.property.columns[0]
    length = getattr(column.type, "length", None)
    assert isinstance(length, int), f"{column} has no length"
    return length


_ID = _length(CollectionEntry.stix_id)
_TYPE = _length(CollectionEntry.type)
_SPEC_VERSION = _length(CollectionEntry.spec_version)
_VERSION = _length(CollectionEntry.version)
_CREATOR = _length(CollectionEntry.created_by_ref)
_NOTE_ID = _length(AssistanceRequest.note_id)
_REQUEST_ID = _length(AssistanceRequest.request_id)
_REFERENCE = min(_length(AssistanceRequest.requester_reference), _length(TicketLink.peer_reference))
_REASON = _length(AssistanceRequest.reason)
_SEVERITIES = tuple(level.value for level in Severity)


_CONTAINERS = (dict, list)


def _nul_at(value: Any, path: str = "") -> str | None:
    """Where a NUL character is (a property's path, or a property name's), or None."""
    if isinstance(value, str):
        return (path or "a value") if "\x00" in value else None
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if isinstance(key, str) and "\x00" in key:
                return f"a property name under {path or 'the object'}"
            if (found := _nul_at(inner, f"{path}.{key}" if path else str(key))) is not None:
                return found
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            if (found := _nul_at(inner, f"{path}[{n}]")) is not None:
                return found
    return None


def shallow(objects: list[Any]) -> bool:
    """Whether no object of a bundle is nested deeper than MAX_DEPTH. Level by level, looking only at the
    containers JSON gives (dicts and lists): most STIX objects have a handful, and a check per value (let alone
    the abstract Mapping one) cost more than all the rest; each level is one walk for the whole bundle instead
    of one per object (a quarter less time). False for any object too deep: `problem` then looks at each
    object on its own."""
    level = [
        inner for obj in objects if isinstance(obj, dict) for inner in obj.values() if isinstance(inner, _CONTAINERS)
    ]
    for _ in range(MAX_DEPTH - 1):
        if not level:
            return True
        level = [
            inner
            for container in level
            for inner in (container.values() if isinstance(container, dict) else container)
            if isinstance(inner, _CONTAINERS)
        ]
    return not level


def _shape(value: Mapping[str, Any], known_nul_free: bool, known_shallow: bool) -> str | None:
    """A NUL character or nesting too deep, anywhere in the object (keys included), or None."""
    if not known_shallow and not shallow([value]):
        return f"the object is nested deeper than {MAX_DEPTH} levels"
    # JSON writes a NUL as \u0000: one search of the bytes clears nearly every object at once.
    if known_nul_free or b"\\u0000" not in orjson.dumps(value):
        return None
    where = _nul_at(value)
    return f"{where} contains a NUL character" if where is not None else None


def nul_free(data: bytes | str) -> bool:
    """Whether JSON text holds no NUL character: JSON can only write one as \\u0000, so one search of a
    whole bundle clears every object in it at once."""
    return (b"\\u0000" not in data) if isinstance(data, bytes) else ("\\u0000" not in data)


def _text(value: Any, name: str, longest: int, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        return f"{name} must be a string, not {type(value).__name__}"
    if len(value) > longest:
        return f"{name} is {len(value)} characters long; at most {longest} are kept"
    return None


def _versions(obj: Mapping[str, Any]) -> str | None:
    for name in ("created", "modified"):
        if name not in obj:
            continue
        value = obj[name]
        try:
            # The instant accepts what parse_timestamp does, and validation has just read it (cached).
            instant(value)
        except (TypeError, ValueError):
            return f"{name} must be a STIX timestamp such as 2026-03-01T08:30:00.000Z, not {str(value)[:40]!r}"
        if len(value) > _VERSION:
            return f"{name} is {len(value)} characters long; at most {_VERSION} are kept"
    return None


def _incident(obj: Mapping[str, Any]) -> str | None:
    for ref in obj.get("external_references") or []:
        external_id = ref.get("external_id") if isinstance(ref, Mapping) else None
        # Our tickets' references (INC-…) become the link to the peer's ticket.
        if isinstance(external_id, str) and external_id.startswith("INC-") and len(external_id) > _REFERENCE:
            return f"external_id {external_id[:40]!r}… is {len(external_id)} characters long; at most {_REFERENCE}"
    return None


def _assistance(obj: Mapping[str, Any]) -> str | None:
    extensions = obj.get("extensions")
    if not isinstance(extensions, Mapping) or stix_notes.ASSISTANCE_EXTENSION_ID not in extensions:
        return None
    ext = extensions[stix_notes.ASSISTANCE_EXTENSION_ID]
    if not isinstance(ext, Mapping):
        return "the assistance extension must be an object"
    severity = ext.get("severity")
    if severity is not None and severity not in _SEVERITIES:
        return f"severity must be one of {', '.join(_SEVERITIES)}, not {str(severity)[:40]!r}"
    for problem in (
        _text(obj.get("id"), "the note id", _NOTE_ID),
        _text(ext.get("request_id"), "request_id", _REQUEST_ID, required=True),
        _text(ext.get("requester_reference"), "requester_reference", _REFERENCE, required=True),
        _text(ext.get("responder_reference"), "responder_reference", _REFERENCE),
        _text(ext.get("reason"), "reason", _REASON),
    ):
        if problem is not None:
            return problem
    try:
        stix_notes.read(dict(obj))
    except stix_notes.NotAMessage as error:
        return f"bad assistance message: {error}"
    return None


def problem(obj: Any, *, nul_free: bool = False, shallow: bool = False) -> str | None:
    """Why the database could not hold this object as sent, or None when it can (obj is any JSON value).

    `nul_free`: the JSON the object was read from has no \\u0000 in it (see `nul_free`); `shallow`: the
    object is known to be nested no deeper than MAX_DEPTH (see `shallow`)."""
    if not isinstance(obj, Mapping):
        return None  # not an object at all: STIX validation says so
    shape = _shape(obj, nul_free, shallow)
    if shape is not None:
        return shape
    if not _columns_fit(obj) and (found := _column_problem(obj)) is not None:
        return found
    found = _versions(obj)
    if found is None and obj["type"] == "incident":
        found = _incident(obj)
    if found is None and obj["type"] == "note":
        found = _assistance(obj)
    return found


def _columns_fit(obj: Mapping[str, Any]) -> bool:
    """Whether id, type, spec_version and created_by_ref fit their columns, for nearly every object in one
    expression: four calls of `_text` apiece cost more than all the rest of these checks."""
    stix_id, stix_type = obj.get("id"), obj.get("type")
    spec_version, creator = obj.get("spec_version"), obj.get("created_by_ref")
    return (
        type(stix_id) is str
        and len(stix_id) <= _ID
        and type(stix_type) is str
        and len(stix_type) <= _TYPE
        and (spec_version is None or (type(spec_version) is str and len(spec_version) <= _SPEC_VERSION))
        and (creator is None or (type(creator) is str and len(creator) <= _CREATOR))
    )


def _column_problem(obj: Mapping[str, Any]) -> str | None:
    for name, longest in (("id", _ID), ("type", _TYPE)):
        found = _text(obj.get(name), name, longest, required=True)
        if found is not None:
            return found
    for name, longest in (("spec_version", _SPEC_VERSION), ("created_by_ref", _CREATOR)):
        found = _text(obj.get(name), name, longest)
        if found is not None:
            return found
    return None
