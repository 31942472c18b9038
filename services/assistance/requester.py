"""Our side when we ask a peer for assistance: the RFA, the information it asks of us, and the end
of the request (CLOSE once it is over, CANCEL while it still runs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from puente.i18n import N_, Moment, Phrase, Words, _
from puente.services.assistance import messages, service
from puente.services.assistance.protocol import ACTIONS, OUTBOUND, State, ack_window
from puente.services.assistance.service import RequestView
from puente.services.context import Context
from puente.services.errors import InvalidInput
from puente.services.exchange import service as exchange
from puente.services.handling.decision import Exit
from puente.services.peers import service as peers
from puente.services.sharing import copies
from puente.services.tickets import service as tickets
from puente.services.users.service import require_role
from puente.stix import assistance as stix_notes
from puente.storage.assistance import AssistanceRequest
from puente.storage.models import Role


def request(
    ctx: Context, reference: str, peer_name: str, actions: list[str], deadline: datetime | None = None, text: str = ""
) -> RequestView:
    """Send an RFA to a peer about one of our tickets."""
    require_role(ctx, Role.ANALYST, _("asking a peer for assistance"))
    ticket = tickets.get(ctx, reference)
    peer = peers.get(ctx, peer_name)
    if not actions:
        raise InvalidInput(_("Name at least one action: {actions}.").format(actions=", ".join(ACTIONS)))
    messages.decision_for(ctx, ticket, Exit.ASSIST, peer, actions)
    now = ctx.now()
    row = AssistanceRequest(
        request_id=str(uuid.uuid4()),
        direction=OUTBOUND,
        peer_id=peer.id or 0,
        ticket_id=ticket.id or 0,
        requester_reference=ticket.reference,
        incident_id=ticket.incident_id,
        note_id=f"note--{uuid.uuid4()}",
        actions=list(actions),
        text=text.strip(),
        language=service.writers_language(ctx, text),
        severity=ticket.severity,
        tlp=ticket.tlp,
        state=State.SENT.value,
        deadline=deadline,
        ack_due_at=now + ack_window(ticket.severity),
        sent_sequence=1,  # the RFA
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    note = rfa_note(ctx, row, now)
    # The whole ticket goes with the request: the responder's ticket holds what ours does (and follows it).
    copies.link(ctx, peer, ticket)
    objects, _versions = exchange.current_objects(ctx, ticket)
    messages.queue_note(ctx, row, peer, "RFA", note, extra=tuple(objects), actions=row.actions)
    copies.sent_to(ctx, [peer], ticket)
    service.record_message(ctx, row, "out", "RFA", note["id"], row.text, language=row.language)
    service.record_on_timeline(
        ctx,
        row,
        "assistance-requested",
        Phrase(
            N_("asked {peer} to {actions}{deadline}"),
            {
                "peer": peer.name,
                "actions": Words("action", tuple(actions)),
                "deadline": Phrase(N_(" by {deadline}"), {"deadline": Moment(deadline, year=True)}) if deadline else "",
            },
        ),
    )
    return service.view_of(ctx, row)


def rfa_note(ctx: Context, row: AssistanceRequest, at: datetime) -> dict[str, Any]:
    """The request's RFA note; built again later, it is a new version of the same note (a re-send)."""
    message = stix_notes.Message(
        "RFA",
        row.request_id,
        row.requester_reference,
        row.incident_id,
        row.text or f"Actions requested: {', '.join(row.actions)}.",
        actions=tuple(row.actions),
        deadline=row.deadline,
        state=State.SENT.value,
        severity=row.severity,
        sequence=1,
        lang=row.language if row.text else None,
    )
    return messages.as_note(ctx, row, message, at=at, note_id=row.note_id)


def give_info(ctx: Context, reference: str, text: str, peer_name: str | None = None) -> RequestView:
    """INFO: what the responder asked us for."""
    return messages.send_message(ctx, reference, "INFO", text, peer_name=peer_name)


def close(ctx: Context, reference: str, text: str = "", peer_name: str | None = None) -> RequestView:
    return messages.send_message(ctx, reference, "CLOSE", text, peer_name=peer_name)


def cancel(ctx: Context, reference: str, text: str = "", peer_name: str | None = None) -> RequestView:
    return messages.send_message(ctx, reference, "CANCEL", text, peer_name=peer_name)
