"""Telling our people about assistance: the ticket owner (or the leads) when a peer answers, our
on-call when a peer asks us for assistance."""

from __future__ import annotations

import logging

from puente.services.context import Context
from puente.services.escalation import service as escalation
from puente.services.notify import Notice, Recipient
from puente.services.peers import outbox
from puente.services.users.service import as_recipients
from puente.storage import users as user_store
from puente.storage.assistance import AssistanceRequest
from puente.storage.models import Role, Ticket, User
from puente.storage.peers import Peer

log = logging.getLogger(__name__)


def tell_owner(ctx: Context, ticket: Ticket, notice: Notice) -> None:
    """The ticket's owner hears of it; a ticket nobody owns, our leads."""
    owner = ctx.session.get(User, ticket.owner_id) if ticket.owner_id else None
    _notify(ctx, as_recipients(ctx, [owner]) if owner else _leads(ctx), notice)


def page_on_call(ctx: Context, ticket: Ticket, row: AssistanceRequest, peer: Peer, reminder: bool) -> None:
    """An incoming RFA pages our on-call by the escalation policy of its severity; a re-send pages
    again only if nobody is being paged for the ticket any more."""
    if reminder and escalation.open_pages(ctx, ticket):
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
    escalation.page_for_assistance_request(ctx, ticket, f"{summary}. /incident ack {ticket.reference} takes it.")


def page_for_early_warning(ctx: Context, ticket: Ticket, peer: Peer, text: str) -> None:
    """A peer's early warning pages our on-call by the policy of the ticket's severity."""
    summary = f"{peer.name} ({peer.contact or 'no contact on file'}) warns of {ticket.title}"
    if text:
        summary += f': "{text[:300]}"'
    escalation.page_for_early_warning(ctx, ticket, f"{summary}. /incident ack {ticket.reference} takes it.")


def _leads(ctx: Context) -> list[Recipient]:
    people = user_store.by_role(ctx.session, [Role.LEAD.value, Role.ADMIN.value]) or user_store.by_role(
        ctx.session, [Role.ANALYST.value]
    )
    return as_recipients(ctx, people)


def _notify(ctx: Context, recipients: list[Recipient], notice: Notice) -> None:
    notifiers = list(ctx.runtime.notifiers)

    def send() -> None:
        for recipient in recipients:
            for notifier in notifiers:
                if notifier.can_reach(recipient):
                    try:
                        notifier.send(recipient, notice)
                    except Exception:  # one unreachable person must not keep the others from being told
                        log.exception("could not notify %s on %s", recipient.name, notifier.platform)
                    break

    outbox.after_commit(ctx, send)
