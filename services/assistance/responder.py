"""Our side when a peer asks us for assistance: ACK, then ACCEPT (or PARTIAL), DECLINE or FORWARD,
then SITREP, INFO-REQUEST and at last RESULT."""

from __future__ import annotations

from puente.i18n import _
from puente.services.assistance import forwarding, messages
from puente.services.assistance.protocol import INBOUND, State, parse_reason
from puente.services.assistance.service import RequestView
from puente.services.context import Context
from puente.storage import assistance as request_store
from puente.storage import tickets as ticket_store


def awaits_ack(ctx: Context, reference: str) -> bool:
    """Whether the ticket has a peer's request we have not acknowledged yet."""
    ticket = ticket_store.by_reference(ctx.session, reference.strip())
    if ticket is None:
        return False
    return any(
        r.direction == INBOUND and r.state == State.SENT for r in request_store.of_ticket(ctx.session, ticket.id or 0)
    )


def acknowledge(ctx: Context, reference: str) -> RequestView:
    """ACK the inbound request on this ticket: we have it and someone is looking. Its text is written in the
    acknowledger's language, which the note is labelled with."""
    return messages.send_message(ctx, reference, "ACK", _("Received by {name}.").format(name=ctx.who))


def accept(ctx: Context, reference: str, text: str = "", partial: bool = False) -> RequestView:
    return messages.send_message(ctx, reference, "PARTIAL" if partial else "ACCEPT", text)


def decline(ctx: Context, reference: str, reason: str, text: str = "") -> RequestView:
    return messages.send_message(ctx, reference, "DECLINE", text, reason=parse_reason(reason))


def ask_for_info(ctx: Context, reference: str, text: str, peer_name: str | None = None) -> RequestView:
    """INFO-REQUEST: what we need from the requester to go on."""
    return messages.send_message(ctx, reference, "INFO-REQUEST", text, peer_name=peer_name)


def sitrep(ctx: Context, reference: str, text: str) -> RequestView:
    return messages.send_message(ctx, reference, "SITREP", text)


def result(ctx: Context, reference: str, text: str, failed: bool = False) -> RequestView:
    return messages.send_message(ctx, reference, "RESULT", text, outcome=State.FAILED if failed else State.COMPLETED)


def forward(ctx: Context, reference: str, to: str, text: str = "") -> RequestView:
    """FORWARD: the request goes on to peer `to` as a request of ours (forwarding.py); the requester is told."""
    return forwarding.forward(ctx, reference, to, text)
