"""Mutual-assistance messages as STIX 2.1 notes with the Puente assistance property extension.

A message is a `note` whose `object_refs` name the requester's incident; the extension carries
what the protocol needs (type, request id, both ticket references, actions, deadline, state,
reason). The extension-definition is published with the first message to each peer.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from puente.stix.definitions import (
    INCIDENT_CORE_DEFINITION,
    PUENTE_PROJECT_IDENTITY,
    PUENTE_TICKET_DEFINITION,
    PUENTE_TICKET_ID,
)
from puente.stix.markings import MARKING_IDS, TLP_EXTENSION_DEFINITION
from puente.stix.timestamps import format_timestamp, parse_timestamp

ASSISTANCE_EXTENSION_ID = "extension-definition--5b9e1e0c-3f1a-4c55-9a57-0f4f0c5b7d21"

MESSAGE_TYPES = (
    "NOTIFY",
    "RFA",
    "ACK",
    "ACCEPT",
    "PARTIAL",
    "DECLINE",
    "INFO-REQUEST",
    "INFO",
    "SITREP",
    "RESULT",
    "FORWARD",
    "CLOSE",
    "CANCEL",
    "ESCALATE",
)
REQUEST_STATES = (
    "SENT",
    "ACKED",
    "ACCEPTED",
    "PARTIAL",
    "DECLINED",
    "FORWARDED",
    "IN_PROGRESS",
    "INFO_REQUESTED",
    "COMPLETED",
    "FAILED",
    "EXPIRED",
    "CLOSED",
)
DECLINE_REASONS = (
    "out-of-mandate",
    "legal-constraint",
    "prejudice-to-investigation",
    "no-capacity",
    "insufficient-info",
    "not-our-constituency",
)
# IODEF (RFC 7970) expectation actions, plus the ones CSIRTs ask of each other most.
ACTIONS = (
    "investigate",
    "contact-source-site",
    "contact-target-site",
    "block-host",
    "block-network",
    "block-port",
    "rate-limit-host",
    "redirect-traffic",
    "honeypot",
    "upgrade-software",
    "rebuild-asset",
    "harden-asset",
    "remediate-other",
    "watch-and-report",
    "status-triage",
    "status-new-info",
    "takedown",
    "traceback",
    "share-indicators",
    "other",
)

EXTENSION_DEFINITION: dict[str, Any] = {
    "type": "extension-definition",
    "spec_version": "2.1",
    "id": ASSISTANCE_EXTENSION_ID,
    "created_by_ref": PUENTE_PROJECT_IDENTITY,
    "created": "2026-11-01T00:00:00.000Z",
    "modified": "2026-11-30T00:00:00.000Z",  # 1.1.0: forwarding, sequence, ESCALATE
    "name": "Puente mutual assistance",
    "description": "A message of the mutual-assistance protocol between peer CSIRTs, carried by a note.",
    "schema": (
        "Property extension of note. message_type (required): one of "
        + ", ".join(MESSAGE_TYPES)
        + ". request_id (required): the request's id, shared by both sides. requester_reference (required)"
        " and responder_reference: the two CSIRTs' ticket references. actions: requested actions (IODEF)."
        " deadline: STIX timestamp after which the actions must not be carried out. state: the request's"
        " state after this message, one of "
        + ", ".join(REQUEST_STATES)
        + ". reason: a decline reason, one of "
        + ", ".join(DECLINE_REASONS)
        + ". severity: low, medium, high or critical. forwarded_to, forwarded_reference, forwarded_state (on"
        " FORWARD): the CSIRT the request went on to, its ticket reference and the state of the request there."
        " sequence: the sender's count of its own messages on this request, from 1 (the RFA is the requester's"
        " 1), so the receiver applies them in the order made."
        " ESCALATE: the requester's ACK deadline passed even after a re-send; the responder pages its leads."
    ),
    "version": "1.1.0",
    "extension_types": ["property-extension"],
}


@dataclass(frozen=True)
class Message:
    """The protocol content of one note."""

    type: str
    request_id: str
    requester_reference: str
    incident_id: str
    text: str = ""
    responder_reference: str | None = None
    actions: tuple[str, ...] = ()
    deadline: datetime | None = None
    state: str | None = None
    reason: str | None = None
    severity: str | None = None
    forwarded_to: str | None = None
    forwarded_reference: str | None = None
    forwarded_state: str | None = None
    sequence: int | None = None
    lang: str | None = None  # the language `text` is written in (STIX `lang`, RFC 5646)


# A language tag as RFC 5646 writes one (es, pt-BR, es-419); anything else is not kept.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}")

_OPTIONAL = ("state", "reason", "severity", "forwarded_to", "forwarded_reference", "forwarded_state", "sequence")


def note(
    message: Message, *, created_by: str, marking_ref: str | None, at: datetime, note_id: str | None = None
) -> dict[str, Any]:
    """The note carrying `message`; give `note_id` to make a new version of an earlier note (a re-send)."""
    ext: dict[str, Any] = {
        "extension_type": "property-extension",
        "message_type": message.type,
        "request_id": message.request_id,
        "requester_reference": message.requester_reference,
    }
    if message.responder_reference:
        ext["responder_reference"] = message.responder_reference
    if message.actions:
        ext["actions"] = list(message.actions)
    if message.deadline is not None:
        ext["deadline"] = format_timestamp(message.deadline)
    for key in _OPTIONAL:
        if getattr(message, key):
            ext[key] = getattr(message, key)
    stamp = format_timestamp(at)
    obj: dict[str, Any] = {
        "type": "note",
        "spec_version": "2.1",
        "id": note_id or f"note--{uuid.uuid4()}",
        "created": stamp,
        "modified": stamp,
        "created_by_ref": created_by,
        "abstract": f"{message.type} {message.requester_reference}",
        "content": message.text or message.type,
        "object_refs": [message.incident_id],
        "extensions": {ASSISTANCE_EXTENSION_ID: ext},
    }
    if marking_ref:
        obj["object_marking_refs"] = [marking_ref]
    if message.lang and message.text:
        obj["lang"] = message.lang
    return obj


def language_of(obj: dict[str, Any]) -> str | None:
    """The language an object's text is written in, as its producer says (STIX `lang`), if it says it well."""
    lang = obj.get("lang")
    return lang if isinstance(lang, str) and LANGUAGE_TAG.fullmatch(lang) else None


class NotAMessage(ValueError):
    """The note does not carry a valid assistance message; the text says what is wrong."""


def read(obj: dict[str, Any]) -> Message | None:
    """The message a note carries, None for a note without the extension; raises NotAMessage when malformed."""
    if obj.get("type") != "note":
        return None
    ext = (obj.get("extensions") or {}).get(ASSISTANCE_EXTENSION_ID)
    if ext is None:
        return None
    kind = ext.get("message_type")
    if kind not in MESSAGE_TYPES:
        raise NotAMessage(f"unknown message_type {kind!r}")
    for key in ("request_id", "requester_reference"):
        if not isinstance(ext.get(key), str) or not ext[key]:
            raise NotAMessage(f"missing {key}")
    refs = obj.get("object_refs") or []
    incident = next((ref for ref in refs if isinstance(ref, str) and ref.startswith("incident--")), None)
    if incident is None:
        raise NotAMessage("object_refs names no incident")
    actions = ext.get("actions") or []
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise NotAMessage("actions must be a list of strings")
    reason = ext.get("reason")
    if reason is not None and reason not in DECLINE_REASONS:
        raise NotAMessage(f"unknown reason {reason!r}")
    state = ext.get("state")
    if state is not None and state not in REQUEST_STATES:
        raise NotAMessage(f"unknown state {state!r}")
    forwarded_state = ext.get("forwarded_state")
    if forwarded_state is not None and forwarded_state not in REQUEST_STATES:
        raise NotAMessage(f"unknown forwarded_state {forwarded_state!r}")
    for key in ("forwarded_to", "forwarded_reference"):
        if ext.get(key) is not None and not isinstance(ext[key], str):
            raise NotAMessage(f"{key} must be a string")
    sequence = ext.get("sequence")
    if sequence is not None and (type(sequence) is not int or not 0 < sequence < 2**31):
        raise NotAMessage(f"sequence must be a positive whole number, not {sequence!r}")
    try:
        deadline = parse_timestamp(ext["deadline"]) if ext.get("deadline") else None
    except (TypeError, ValueError):
        raise NotAMessage(f"bad deadline {ext.get('deadline')!r}") from None
    return Message(
        type=kind,
        request_id=ext["request_id"],
        requester_reference=ext["requester_reference"],
        incident_id=incident,
        text=str(obj.get("content") or ""),
        responder_reference=ext.get("responder_reference"),
        actions=tuple(actions),
        deadline=deadline,
        state=state,
        reason=reason,
        severity=ext.get("severity"),
        forwarded_to=ext.get("forwarded_to"),
        forwarded_reference=ext.get("forwarded_reference"),
        forwarded_state=forwarded_state,
        sequence=sequence,
        lang=language_of(obj),
    )


# Definitions every Puente knows: a peer need not (and, not having created them, cannot) send them.
KNOWN_DEFINITIONS = frozenset(
    {
        ASSISTANCE_EXTENSION_ID,
        *MARKING_IDS.values(),
        *(d["id"] for d in (INCIDENT_CORE_DEFINITION, PUENTE_TICKET_DEFINITION, TLP_EXTENSION_DEFINITION)),
    }
)


def reference_of(incident_obj: dict[str, Any]) -> str | None:
    """The sender's ticket reference recorded on an incident (stix.mapping puts it in external_references)."""
    for ref in incident_obj.get("external_references") or []:
        if isinstance(ref, dict) and isinstance(ref.get("external_id"), str) and ref["external_id"].startswith("INC-"):
            return str(ref["external_id"])
    return None


def aware_at_of(incident_obj: dict[str, Any]) -> datetime | None:
    """When the sender became aware of its incident (the Puente ticket extension's aware_at), if it says."""
    ext = (incident_obj.get("extensions") or {}).get(PUENTE_TICKET_ID) or {}
    try:
        return parse_timestamp(ext["aware_at"]) if isinstance(ext.get("aware_at"), str) else None
    except ValueError:
        return None
