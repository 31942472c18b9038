"""Telling our people about assistance: the ticket owner (or the leads) when a peer answers, our
on-call when a peer asks us for assistance. Both are rows the `escalation` worker delivers with
retries (services/escalation/notices.py, peer_pages.py), so a crash or a chat outage loses none."""

from __future__ import annotations

from puente.services.context import Context
from puente.services.escalation import notices as escalation_notices
from puente.services.escalation import peer_pages
from puente.services.escalation import service as escalation
from puente.storage.assistance import AssistanceRequest
from puente.storage.models import Ticket
from puente.storage.peers import Peer


def tell_owner(ctx: Context, ticket: Ticket, text: str) -> None:
    """The ticket's owner hears of it; a ticket nobody owns, our leads."""
    escalation_notices.tell_owner(ctx, ticket, text)


def page_on_call(ctx: Context, ticket: Ticket, row: AssistanceRequest, peer: Peer, reminder: bool) -> None:
    """An incoming RFA pages our on-call by the escalation policy of its severity; a re-send pages
    again only if nobody is being paged for the request any more."""
    key = escalation.request_key(row.request_id)
    if reminder and any(page.key == key for page in escalation.open_pages(ctx, ticket)):
        return
    summary = (
        f"{peer.name} ({peer.contact or 'no contact on file'}) asks us "
        f"to {', '.join(row.actions)} on their {row.requester_reference}"
    )
    if row.deadline:
        summary += f" by {row.deadline:%Y-%m-%d %H:%M} UTC"
    if row.text:
        summary += f': "{row.text[:300]}"'
    if reminder:
        summary += " (re-sent: not acknowledged yet)"
    peer_pages.page_for_assistance_request(
        ctx, ticket, peer.name, row.request_id, f"{summary}. /incident ack {ticket.reference} takes it."
    )


def page_for_early_warning(ctx: Context, ticket: Ticket, peer: Peer, text: str) -> None:
    """A peer's early warning pages our on-call by the policy of the ticket's severity."""
    summary = f"{peer.name} ({peer.contact or 'no contact on file'}) warns of {ticket.title}"
    if text:
        summary += f': "{text[:300]}"'
    escalation.page_for_early_warning(ctx, ticket, f"{summary}. /incident ack {ticket.reference} takes it.")
