"""Taking in what a peer sends (pushed into our inbox or pulled by the poller: see scheduled.py).

Rules, in order: an object must be well-formed STIX 2.1 that the database can hold as sent
(services/exchange/storable.py); a peer may only send objects its own identity created, and only
versions of ids first stored as its own (anything else is rejected and logged, nothing of it
stored); an object version already taken in changes nothing; then what is about shared incidents
becomes (or moves) our ticket for each (services/sharing/copies.py), and assistance messages move
their requests. An object that still fails while it is applied is set aside with the reason
(services/inbox/held.py), so nothing a peer sends stops ingestion.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from puente.services.assistance import inbound
from puente.services.assistance import messages as assistance_messages
from puente.services.context import Context
from puente.services.exchange import storable
from puente.services.feeds import ownership
from puente.services.handling import policy as handling
from puente.services.sharing import copies
from puente.stix import assistance as stix_notes
from puente.stix import validation
from puente.stix.validation import InvalidStix
from puente.storage import inbox as inbox_store
from puente.storage import timeline
from puente.storage.peers import Peer

log = logging.getLogger(__name__)

# Incidents first, so a note arriving in the same envelope finds its linked ticket.
_ORDER = {"identity": 0, "incident": 1, "note": 3}


@dataclass
class IngestReport:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)

    def merge(self, other: IngestReport) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.held += other.held


def _version(obj: dict[str, Any]) -> str:
    return str(obj.get("modified") or obj.get("created") or "")


def _invalid(obj: dict[str, Any]) -> str | None:
    """Why the object is not valid STIX 2.1 or could not be stored as sent, or None."""
    problem = storable.problem(obj)
    if problem is not None:
        return problem
    try:
        validation.check_object(obj)
    except InvalidStix as error:
        return str(error)[:200]
    if obj.get("type") == "note":
        try:
            stix_notes.read(obj)
        except stix_notes.NotAMessage as error:
            return f"bad assistance message: {error}"
    return None


def _refusal(peer: Peer, ours: str, obj: Any, *, screened: bool = False) -> str | None:
    """Why a peer's object is not taken in, "" for one that is skipped quietly, or None to take it.

    A `screened` object passed this build's validation at our TAXII door (services/feeds/door.py) before
    it was stored in the inbox: only who may send it is checked again."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not isinstance(obj.get("type"), str):
        return "not a STIX object"
    if obj["id"] in stix_notes.KNOWN_DEFINITIONS or obj.get("created_by_ref") == ours or obj["id"] == ours:
        return ""  # our own objects echoed back, or definitions every Puente knows
    refusal = handling.creator_refusal(peer.identity_id, obj)
    if refusal is not None:
        return f"not {peer.name}'s to send: {refusal}"
    problem = None if screened else _invalid(obj)
    return f"invalid: {problem}" if problem else None


@dataclass(frozen=True)
class Envelope:
    """What the objects sent together say about each other: the incidents, and which of them an RFA asks about."""

    incidents: dict[str, dict[str, Any]]
    requested: set[str]

    @classmethod
    def of(cls, peer: Peer, ours: str, objects: list[Any], *, screened: bool = False) -> Envelope:
        related = [o for o in objects if isinstance(o, dict) and o.get("type") in ("incident", "note")]
        usable = [o for o in related if _refusal(peer, ours, o, screened=screened) is None]
        messages = [stix_notes.read(o) for o in usable if o["type"] == "note"]
        return cls(
            {o["id"]: o for o in usable if o["type"] == "incident"},
            {m.incident_id for m in messages if m is not None and m.type == "RFA"},
        )


def ingest(
    ctx: Context, peer: Peer, objects: list[Any], envelope: Envelope | None = None, *, screened: bool = False
) -> IngestReport:
    """Take in a peer's objects; rejected ones are reported and logged, never stored.

    `envelope` is what came with them, when they are taken in one at a time (services/inbox/held.py).
    `screened` objects are what this build's TAXII door validated on their way into our inbox
    (services/feeds/screening.py): validating them again would cost about as much as taking them in.
    Anything that fails while applying raises: the caller sets the object aside.
    """
    report = IngestReport()
    ours = assistance_messages.our_identity(ctx)
    candidates: list[dict[str, Any]] = []
    for obj in objects:
        refusal = _refusal(peer, ours, obj, screened=screened)
        if refusal:
            stix_id = obj["id"] if isinstance(obj, dict) and isinstance(obj.get("id"), str) else "?"
            _reject(ctx, peer, report, stix_id, refusal)
        elif refusal is None:
            candidates.append(obj)
    asked = {o["id"]: incident for o in candidates if (incident := ownership.asks_about(o)) is not None}
    refused = ownership.foreign(ctx, peer.identity_id, [o["id"] for o in candidates], asked)
    for stix_id, why in refused.items():
        _reject(ctx, peer, report, stix_id, f"not {peer.name}'s to send: {why}")
    candidates = [o for o in candidates if o["id"] not in refused]
    candidates.sort(key=lambda o: _ORDER.get(o["type"], 2))
    context = envelope or Envelope.of(peer, ours, candidates, screened=screened)
    # Versions taken in already, looked up for the whole batch at once; a repeat within it counts as seen too.
    taken = inbox_store.seen(ctx.session, peer.id or 0, ((o["id"], _version(o)) for o in candidates))
    fresh: list[dict[str, Any]] = []
    for obj in candidates:
        key = (obj["id"], _version(obj))
        if key in taken:
            report.duplicates += 1
            continue
        taken.add(key)
        fresh.append(obj)
        report.accepted += 1
    inbox_store.mark_ingested(ctx.session, peer.id or 0, [(o["id"], _version(o)) for o in fresh], ctx.now())
    messages = [(stix_notes.read(o), o) for o in fresh if o["type"] == "note"]
    # An RFA or a NOTIFY raises its own page for the incident it carries; a plain share pages as a new ticket does.
    paged = {m.incident_id for m, _ in messages if m is not None and m.type in ("RFA", "NOTIFY")} | context.requested
    content = [o for o in fresh if not (o["type"] == "note" and stix_notes.read(o) is not None)]
    tickets = copies.take_in(ctx, peer, content, paged)
    for message, note in messages:
        if message is not None:
            inbound.receive(ctx, peer, message, note, tickets)
    return report


def _reject(ctx: Context, peer: Peer, report: IngestReport, stix_id: str, why: str) -> None:
    stix_id, why = stix_id[:200].replace("\x00", "\\x00"), why.replace("\x00", "\\x00")
    line = f"{stix_id}: {why}"[:500]
    report.rejected.append(line)
    log.warning("rejected object %s from peer %s: %s", stix_id, peer.name, why)
    timeline.record(ctx.session, at=ctx.now(), actor=f"peer:{peer.name}", action="peer-object-rejected", summary=line)
