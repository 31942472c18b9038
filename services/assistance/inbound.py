"""Messages a peer sends us: a NOTIFY notes its incident on a linked ticket, an RFA opens (or finds)
that ticket and pages our on-call, and every answer to a request of ours moves it and tells the
ticket's owner."""

from __future__ import annotations

import logging
from typing import Any

from puente.services.assistance import notices, service
from puente.services.assistance.protocol import INBOUND, OUTBOUND, TRANSITIONS, State
from puente.services.context import Context
from puente.services.notify import Notice, single_line
from puente.services.tickets import service as tickets
from puente.services.vocabularies.taxonomy import TLP, Severity
from puente.stix import assistance as stix_notes
from puente.stix.markings import MARKING_IDS
from puente.storage import assistance as request_store
from puente.storage import peers as peer_store
from puente.storage.assistance import AssistanceRequest
from puente.storage.models import Ticket
from puente.storage.peers import Peer, TicketLink

log = logging.getLogger(__name__)


def receive(
    ctx: Context, peer: Peer, message: stix_notes.Message, note: dict[str, Any], incidents: dict[str, dict[str, Any]]
) -> AssistanceRequest | None:
    """Apply a message from `peer`: an RFA opens a linked ticket and pages; an answer moves our request."""
    if message.type == "NOTIFY":
        ticket = linked_ticket(
            ctx, peer, message.incident_id, incidents.get(message.incident_id), message.requester_reference
        )
        note_from_peer(ctx, ticket, f"{peer.name} notified: {message.text}")
        return None
    if message.type == "RFA":
        return _receive_rfa(ctx, peer, message, note, incidents)
    row = request_store.by_request_id(ctx.session, peer.id or 0, message.request_id)
    if row is None:
        log.warning("%s sent %s for unknown request %s; ignored", peer.name, message.type, message.request_id)
        return None
    sender, allowed, target = TRANSITIONS.get(message.type, (None, frozenset(), State.CLOSED))
    if sender is None or sender == row.direction:
        log.warning("%s sent %s, which only our side may send; ignored", peer.name, message.type)
        return None
    service.expire_if_due(ctx, row)
    current = State(row.state)
    claimed = State(message.state) if message.state else target
    if current in allowed:
        new_state = claimed if message.type == "RESULT" and claimed in (State.COMPLETED, State.FAILED) else target
    elif current == State.EXPIRED:
        new_state = current
    else:
        # The sender checked the order on its side; its stated state is the one both should share.
        log.info("%s: %s arrived while %s; taking the peer's state %s", row.request_id, message.type, current, claimed)
        new_state = claimed
    if message.responder_reference and row.direction == OUTBOUND:
        row.responder_reference = message.responder_reference
    ctx.actor_name = ctx.actor_name or f"peer:{peer.name}"
    service.move(ctx, row, new_state, message.reason)
    row.ack_due_at = None  # any answer shows the peer has the request
    service.record_message(ctx, row, "in", message.type, str(note.get("id")), message.text, message.reason)
    summary = (
        f"{peer.name} sent {message.type}"
        + (f" ({message.reason})" if message.reason else "")
        + f": {single_line(message.text)[:150]} — now {new_state.value}"
    )
    service.record_on_timeline(ctx, row, f"assistance-{message.type.lower()}-received", summary)
    ours = ctx.session.get(Ticket, row.ticket_id)
    if ours is not None:
        notices.tell_owner(ctx, ours, Notice(f"{ours.reference}: {summary}", ticket=ours.reference))
    return row


def _receive_rfa(
    ctx: Context, peer: Peer, message: stix_notes.Message, note: dict[str, Any], incidents: dict[str, dict[str, Any]]
) -> AssistanceRequest:
    row = request_store.by_request_id(ctx.session, peer.id or 0, message.request_id)
    ctx.actor_name = ctx.actor_name or f"peer:{peer.name}"
    if row is not None:
        # A re-sent RFA (new version of the same note): the peer has not seen our ACK; remind our leads.
        if row.state == State.SENT:
            ticket = ctx.session.get(Ticket, row.ticket_id)
            if ticket is not None:
                service.record_on_timeline(
                    ctx, row, "assistance-request-resent", f"{peer.name} re-sent its request: not acknowledged yet"
                )
                notices.page_on_call(ctx, ticket, row, peer, reminder=True)
        return row
    ticket = linked_ticket(
        ctx,
        peer,
        message.incident_id,
        incidents.get(message.incident_id),
        message.requester_reference,
        message.severity,
        for_request=True,
    )
    now = ctx.now()
    row = AssistanceRequest(
        request_id=message.request_id,
        direction=INBOUND,
        peer_id=peer.id or 0,
        ticket_id=ticket.id or 0,
        requester_reference=message.requester_reference,
        responder_reference=ticket.reference,
        incident_id=message.incident_id,
        note_id=str(note.get("id")),
        actions=list(message.actions),
        text=message.text,
        severity=message.severity or ticket.severity,
        tlp=ticket.tlp,
        state=State.SENT.value,
        deadline=message.deadline,
        ack_due_at=None,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    service.record_message(ctx, row, "in", "RFA", row.note_id, message.text)
    summary = f"{peer.name} asks us to {', '.join(message.actions) or 'assist'} on their {message.requester_reference}"
    if message.deadline:
        summary += f" by {message.deadline:%Y-%m-%d %H:%M} UTC"
    service.record_on_timeline(ctx, row, "assistance-request-received", summary)
    notices.page_on_call(ctx, ticket, row, peer, reminder=False)
    return row


def linked_ticket(
    ctx: Context,
    peer: Peer,
    incident_id: str,
    incident: dict[str, Any] | None,
    peer_reference: str | None,
    severity: str | None = None,
    *,
    for_request: bool = False,
) -> Ticket:
    """Our ticket for the peer's incident, opened on first sight and linked to it."""
    link = peer_store.link_for_incident(ctx.session, peer.id or 0, incident_id)
    if link is not None:
        found = ctx.session.get(Ticket, link.ticket_id)
        assert found is not None
        return found
    title = (incident or {}).get("name") or f"Assistance for {peer.name} {peer_reference or ''}".strip()
    reference = (stix_notes.reference_of(incident) if incident else None) or peer_reference
    tlp = _tlp_of(incident) or TLP.AMBER
    try:
        level = Severity(severity) if severity else Severity.MEDIUM
    except ValueError:
        level = Severity.MEDIUM
    countries = list(dict.fromkeys([ctx.settings.csirt_country, *peer.countries]))
    draft = tickets.TicketDraft(
        title=f"[{peer.name} {reference}] {title}" if reference else str(title),
        description=str((incident or {}).get("description", "")),
        severity=level,
        countries=countries,
        tlp=tlp,
    )
    ticket = tickets.open_for_peer(ctx, draft, peer.name, page_severity=not for_request)
    ctx.session.add(
        TicketLink(
            ticket_id=ticket.id or 0,
            peer_id=peer.id or 0,
            peer_reference=reference,
            peer_incident_id=incident_id,
            created_at=ctx.now(),
        )
    )
    ctx.session.flush()
    return ticket


def _tlp_of(incident: dict[str, Any] | None) -> TLP | None:
    by_marking = {ref: TLP(level) for level, ref in MARKING_IDS.items()}
    for ref in (incident or {}).get("object_marking_refs") or []:
        if ref in by_marking:
            return by_marking[ref]
    return None


def note_from_peer(ctx: Context, ticket: Ticket, text: str) -> None:
    ctx.record(action="peer-notified", ticket_id=ticket.id, summary=text[:300])
