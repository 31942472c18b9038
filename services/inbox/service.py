"""Taking in what a peer sends (pushed into our inbox or pulled by the poller: see scheduled.py).

Rules, in order: an object must be well-formed STIX 2.1; a peer may only send objects its own
identity created (anything else is rejected and logged, nothing of it stored); an object version
already taken in changes nothing; then incidents become linked tickets and assistance notes move
the stix_notes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from puente.services.assistance import inbound
from puente.services.assistance import service as assistance
from puente.services.context import Context
from puente.services.handling import policy as handling
from puente.stix import assistance as stix_notes
from puente.stix import validation
from puente.stix.validation import InvalidStix
from puente.storage import peers as peer_store
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

    def merge(self, other: IngestReport) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += other.rejected


def _version(obj: dict[str, Any]) -> str:
    return str(obj.get("modified") or obj.get("created") or "")


def _invalid(obj: dict[str, Any]) -> str | None:
    """Why the object is not valid STIX 2.1, or None."""
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


def ingest(ctx: Context, peer: Peer, objects: list[Any]) -> IngestReport:
    """Take in a peer's objects; rejected ones are reported and logged, never stored."""
    report = IngestReport()
    ours = assistance.our_identity(ctx)
    candidates: list[dict[str, Any]] = []
    for obj in objects:
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not isinstance(obj.get("type"), str):
            _reject(ctx, peer, report, "?", "not a STIX object")
            continue
        if obj["id"] in stix_notes.KNOWN_DEFINITIONS or obj.get("created_by_ref") == ours or obj["id"] == ours:
            continue  # our own objects echoed back, or definitions every Puente knows
        refusal = handling.creator_refusal(peer.identity_id, obj)
        if refusal is not None:
            _reject(ctx, peer, report, obj["id"], f"not {peer.name}'s to send: {refusal}")
            continue
        problem = _invalid(obj)
        if problem:
            _reject(ctx, peer, report, obj["id"], f"invalid: {problem}")
            continue
        candidates.append(obj)
    candidates.sort(key=lambda o: _ORDER.get(o["type"], 2))
    incidents = {o["id"]: o for o in candidates if o["type"] == "incident"}
    messages = [stix_notes.read(o) for o in candidates if o["type"] == "note"]
    requested = {m.incident_id for m in messages if m is not None and m.type == "RFA"}
    # Versions taken in already, looked up for the whole batch at once; a repeat within it counts as seen too.
    taken = peer_store.seen(ctx.session, peer.id or 0, ((o["id"], _version(o)) for o in candidates))
    fresh: list[tuple[str, str]] = []
    for obj in candidates:
        key = (obj["id"], _version(obj))
        if key in taken:
            report.duplicates += 1
            continue
        taken.add(key)
        _apply(ctx, peer, obj, incidents, requested)
        fresh.append(key)
        report.accepted += 1
    peer_store.mark_ingested(ctx.session, peer.id or 0, fresh, ctx.now())
    return report


def _apply(
    ctx: Context, peer: Peer, obj: dict[str, Any], incidents: dict[str, dict[str, Any]], requested: set[str]
) -> None:
    if obj["type"] == "note":
        message = stix_notes.read(obj)
        if message is not None:
            inbound.receive(ctx, peer, message, obj, incidents)
        return
    if obj["type"] == "incident":
        link = peer_store.link_for_incident(ctx.session, peer.id or 0, obj["id"])
        # An incident that arrives with an RFA gets its ticket from the RFA (with severity and deadline).
        if link is None and obj["id"] not in requested:
            ticket = inbound.linked_ticket(ctx, peer, obj["id"], obj, stix_notes.reference_of(obj))
            inbound.note_from_peer(
                ctx,
                ticket,
                f"{peer.name} shared their incident {stix_notes.reference_of(obj) or obj['id']}: {obj.get('name', '')}",
            )


def _reject(ctx: Context, peer: Peer, report: IngestReport, stix_id: str, why: str) -> None:
    report.rejected.append(f"{stix_id}: {why}")
    log.warning("rejected object %s from peer %s: %s", stix_id, peer.name, why)
    timeline.record(
        ctx.session,
        at=ctx.now(),
        actor=f"peer:{peer.name}",
        action="peer-object-rejected",
        summary=f"{stix_id}: {why}"[:500],
    )
