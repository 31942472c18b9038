"""Messages a peer sends us: a NOTIFY notes its incident on a linked ticket, an RFA opens (or finds)
that ticket and pages our on-call, and every answer to a request of ours moves it and tells the
ticket's owner."""

from __future__ import annotations

import logging
from typing import Any

from puente.i18n import N_, Moment, Phrase, Words, Written
from puente.services.assistance import answers, notices, service
from puente.services.assistance.protocol import INBOUND, State
from puente.services.context import Context
from puente.services.sharing import copies
from puente.services.tickets import audit
from puente.services.tickets import service as tickets_service
from puente.services.vocabularies.taxonomy import Severity
from puente.stix import assistance as stix_notes
from puente.storage import assistance as request_store
from puente.storage import tickets as ticket_store
from puente.storage.assistance import AssistanceRequest
from puente.storage.models import Ticket
from puente.storage.peers import Peer

log = logging.getLogger(__name__)


def receive(
    ctx: Context, peer: Peer, message: stix_notes.Message, note: dict[str, Any], tickets: dict[str, Ticket]
) -> AssistanceRequest | None:
    """Apply a message from `peer`: an RFA opens a linked ticket and pages; an answer moves our request.

    `tickets` holds our ticket for each incident that came with the message (services/sharing/copies.py)."""
    if message.type == "NOTIFY":
        ticket = linked_ticket(ctx, peer, message, tickets)
        note_from_peer(ctx, ticket, peer, Written(message.text[:300], message.lang))
        notices.page_for_early_warning(ctx, ticket, peer, message.text, message.lang)
        return None
    if message.type == "RFA":
        row = _receive_rfa(ctx, peer, message, note, tickets)
        answers.release_held(ctx, peer, row)  # what overtook the RFA on its way (a CANCEL) applies now
        return row
    return answers.receive(ctx, peer, message, note)


def _receive_rfa(
    ctx: Context, peer: Peer, message: stix_notes.Message, note: dict[str, Any], tickets: dict[str, Ticket]
) -> AssistanceRequest:
    row = request_store.by_request_id(ctx.session, peer.id or 0, message.request_id)
    ctx.actor_name = ctx.actor_name or f"peer:{peer.name}"
    if row is not None:
        # A re-sent RFA (new version of the same note): the peer has not seen our ACK; remind our leads.
        if row.state == State.SENT:
            ticket = ctx.session.get(Ticket, row.ticket_id)
            if ticket is not None:
                service.record_on_timeline(
                    ctx,
                    row,
                    "assistance-request-resent",
                    Phrase(N_("{peer} re-sent its request: not acknowledged yet"), {"peer": peer.name}),
                )
                notices.page_on_call(ctx, ticket, row, peer, reminder=True)
        return row
    ticket = linked_ticket(ctx, peer, message, tickets)
    _at_least(ctx, ticket, message.severity)
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
        language=message.lang,
        severity=message.severity or ticket.severity,
        tlp=ticket.tlp,
        state=State.SENT.value,
        deadline=message.deadline,
        ack_due_at=None,
        received_sequence=message.sequence or 0,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    service.record_message(ctx, row, "in", "RFA", row.note_id, message.text, language=message.lang)
    summary = Phrase(
        N_("{peer} asks us to {actions} on their {reference}{deadline}{text}"),
        {
            "peer": peer.name,
            "actions": Words("action", tuple(message.actions)) if message.actions else Phrase(N_("assist")),
            "reference": message.requester_reference or "",
            "deadline": Phrase(N_(" by {deadline}"), {"deadline": Moment(message.deadline, year=True)})
            if message.deadline
            else "",
            "text": Phrase(N_(': "{text}"'), {"text": Written(message.text[:300], message.lang)})
            if message.text
            else "",
        },
    )
    service.record_on_timeline(ctx, row, "assistance-request-received", summary)
    notices.page_on_call(ctx, ticket, row, peer, reminder=False)
    return row


def linked_ticket(ctx: Context, peer: Peer, message: stix_notes.Message, tickets: dict[str, Ticket]) -> Ticket:
    """Our ticket for the incident a message is about: the one its incident opened or moved, the one
    already holding it, or, for a message that came without it, one opened from the message alone."""
    found = tickets.get(message.incident_id) or ticket_store.by_incident_id(ctx.session, message.incident_id)
    if found is not None:
        copies.link(ctx, peer, found, reference=message.requester_reference if found.producer else None)
        return found
    try:
        level = Severity(message.severity) if message.severity else Severity.MEDIUM
    except ValueError:
        level = Severity.MEDIUM
    draft = tickets_service.TicketDraft(
        title=f"Assistance for {peer.name} {message.requester_reference}",
        severity=level,
        countries=list(dict.fromkeys([ctx.settings.csirt_country, *peer.countries])),
        incident_id=message.incident_id,
        producer=peer.identity_id,
    )
    ticket = tickets_service.open_for_peer(ctx, draft, peer.name, page_severity=False)
    copies.link(ctx, peer, ticket, reference=message.requester_reference)
    return ticket


def _at_least(ctx: Context, ticket: Ticket, severity: str | None) -> None:
    """A request for assistance is as urgent as the requester says: it raises our ticket to its severity."""
    try:
        asked = Severity(severity) if severity else None
    except ValueError:
        return
    if asked is None or asked.rank <= Severity(ticket.severity).rank:
        return
    ctx.record(
        action="updated",
        ticket_id=ticket.id,
        summary=Phrase(
            N_("{change}: as requested"), {"change": audit.change("severity", ticket.severity, asked.value)}
        ),
    )
    ticket.severity = asked.value
    ctx.session.add(ticket)


def note_from_peer(ctx: Context, ticket: Ticket, peer: Peer, text: Written) -> None:
    ctx.record(
        action="peer-notified",
        ticket_id=ticket.id,
        summary=Phrase(N_("{peer}: {text}"), {"peer": peer.name, "text": text}),
    )
