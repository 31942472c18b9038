"""FORWARD: a request we cannot serve goes on to a third CSIRT as a request of our own, linked to the one
it came from. The requester is told where it went (FORWARD), and again each time that request moves,
so it sees the third CSIRT's reference and states without knowing that CSIRT itself."""

from __future__ import annotations

import uuid

from puente.i18n import N_, Phrase, Words, _
from puente.services.assistance import messages, service
from puente.services.assistance.protocol import INBOUND, OUTBOUND, State, ack_window
from puente.services.assistance.service import RequestView
from puente.services.context import Context
from puente.services.errors import InvalidInput
from puente.services.exchange import service as exchange
from puente.services.handling.decision import Exit
from puente.services.peers import service as peers
from puente.services.tickets import service as tickets
from puente.stix import assistance as stix_notes
from puente.storage.assistance import AssistanceRequest
from puente.storage.models import Ticket
from puente.storage.peers import Peer


def forward(ctx: Context, reference: str, to: str, text: str = "") -> RequestView:
    """Send the request on the ticket on to peer `to` (our own RFA, with the ticket told as ours), and tell
    the requester with FORWARD."""
    ticket = tickets.get(ctx, reference)
    original = messages.find_request(ctx, ticket, INBOUND, None)
    third = peers.get(ctx, to)
    if third.id == original.peer_id:
        raise InvalidInput(
            _("{name} asked for this; forward to another peer (puente peers list shows them).").format(name=third.name)
        )
    requester = ctx.session.get(Peer, original.peer_id)
    assert requester is not None
    messages.decision_for(ctx, ticket, Exit.FORWARD, third, original.actions)
    onward = _request_of_our_own(ctx, ticket, original, requester, third, text)
    original.forwarded_to, original.forwarded_state = third.name, onward.state
    view = messages.send_message(
        ctx,
        reference,
        "FORWARD",
        f"Forwarded to {third.name}. {text}".strip(),
        forwarded=(third.name, None, State(onward.state)),
    )
    return view


def _request_of_our_own(
    ctx: Context, ticket: Ticket, original: AssistanceRequest, requester: Peer, third: Peer, text: str
) -> AssistanceRequest:
    now = ctx.now()
    incident_id, objects = exchange.told_as_ours(ctx, ticket)
    asked = f"Forwarded from {requester.name} {original.requester_reference}: {original.text}".strip()
    row = AssistanceRequest(
        request_id=str(uuid.uuid4()),
        direction=OUTBOUND,
        peer_id=third.id or 0,
        ticket_id=ticket.id or 0,
        requester_reference=ticket.reference,
        incident_id=incident_id,
        note_id=f"note--{uuid.uuid4()}",
        actions=list(original.actions),
        text=f"{asked} {text}".strip() if text else asked,
        language=original.language,
        severity=original.severity,
        tlp=original.tlp,
        state=State.SENT.value,
        deadline=original.deadline,
        ack_due_at=now + ack_window(original.severity),
        forwarded_from=original.id,
        sent_sequence=1,  # the RFA
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    message = stix_notes.Message(
        "RFA",
        row.request_id,
        row.requester_reference,
        incident_id,
        row.text,
        actions=tuple(row.actions),
        deadline=row.deadline,
        state=State.SENT.value,
        severity=row.severity,
        sequence=1,
        lang=row.language,
    )
    note = messages.as_note(ctx, row, message, at=now, note_id=row.note_id)
    messages.queue_note(ctx, row, third, "RFA", note, extra=tuple(objects), exit=Exit.FORWARD, actions=row.actions)
    service.record_message(ctx, row, "out", "RFA", note["id"], row.text, language=row.language)
    service.record_on_timeline(
        ctx,
        row,
        "assistance-forwarded",
        Phrase(
            N_("{requester}'s request ({actions}) to {peer}"),
            {"requester": requester.name, "actions": Words("action", tuple(row.actions)), "peer": third.name},
        ),
    )
    return row


def tell_requester(ctx: Context, onward: AssistanceRequest) -> None:
    """Our request to the third CSIRT moved: the original requester hears its reference and new state."""
    original = ctx.session.get(AssistanceRequest, onward.forwarded_from) if onward.forwarded_from else None
    if original is None:
        return
    third = ctx.session.get(Peer, onward.peer_id)
    requester = ctx.session.get(Peer, original.peer_id)
    assert third is not None and requester is not None
    original.forwarded_reference = onward.responder_reference
    original.forwarded_state = onward.state
    original.sent_sequence += 1
    ctx.session.add(original)
    where = f"{third.name} {onward.responder_reference}" if onward.responder_reference else third.name
    message = stix_notes.Message(
        "FORWARD",
        original.request_id,
        original.requester_reference,
        original.incident_id,
        f"The request forwarded to {where} is {onward.state}.",
        responder_reference=original.responder_reference,
        state=original.state,
        forwarded_to=third.name,
        forwarded_reference=onward.responder_reference,
        forwarded_state=onward.state,
        sequence=original.sent_sequence,
    )
    note = messages.as_note(ctx, original, message, at=ctx.now())
    messages.queue_note(ctx, original, requester, "FORWARD", note)
    service.record_message(ctx, original, "out", "FORWARD", note["id"], message.text)
