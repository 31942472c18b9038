"""A small, fast check of objects partners POST, until stix/validation.py (strict STIX validation) lands.

It checks what the server relies on to store and serve an object: its id, type, spec_version,
timestamps and created_by_ref. It returns a reason a partner can act on, or None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from taxii.timestamps import parse_timestamp

_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ID = re.compile(rf"^([a-z0-9][a-z0-9-]{{1,248}}[a-z0-9])--{_UUID}$")
IDENTITY_ID = re.compile(rf"^identity--{_UUID}$")

# STIX cyber-observables carry no created/modified; marking definitions are never modified.
OBSERVABLE_TYPES = frozenset({
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
    "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
    "user-account", "windows-registry-key", "x509-certificate",
})  # fmt: skip


def problem(stix_object: Any) -> str | None:
    """Why this object cannot be accepted, or None when it can."""
    if not isinstance(stix_object, Mapping):
        return "not a JSON object"
    object_type = stix_object.get("type")
    if not isinstance(object_type, str) or not _TYPE.match(object_type):
        return "type must be 3-250 lowercase letters, digits or hyphens"
    object_id = stix_object.get("id")
    if not isinstance(object_id, str) or (match := _ID.match(object_id)) is None or match.group(1) != object_type:
        return f"id must be '{object_type}--' followed by a lowercase UUID"
    if stix_object.get("spec_version") != "2.1":
        return "spec_version must be '2.1' (this collection accepts STIX 2.1 only)"
    if object_type not in OBSERVABLE_TYPES:
        for name in ("created", "modified") if object_type != "marking-definition" else ("created",):
            value = stix_object.get(name)
            if not isinstance(value, str):
                return f"{name} is required (a timestamp like 2026-01-05T12:00:00.000Z)"
            try:
                parse_timestamp(value)
            except ValueError as error:
                return f"{name}: {error}"
        if object_type != "marking-definition" and parse_timestamp(stix_object["modified"]) < parse_timestamp(stix_object["created"]):
            return "modified is earlier than created"
    creator = stix_object.get("created_by_ref")
    if creator is not None and (not isinstance(creator, str) or not IDENTITY_ID.match(creator)):
        return "created_by_ref must be an identity id (identity--<uuid>)"
    return None
