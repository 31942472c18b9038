"""Telling our people about assistance: the ticket owner (or the leads) when a peer answers, our
on-call when a peer asks us for assistance. Both are rows the `escalation` worker delivers with
retries (services/escalation/notices.py, peer_pages.py), so a crash or a chat outage loses none."""

from __future__ import annotations

from puente.i18n import N_, Moment, Phrase, Words, Written
from puente.services.context import Context
from puente.services.escalation import notices as escalation_notices
from puente.services.escalation import peer_pages
from puente.services.escalation import service as escalation
from puente.storage.assistance import AssistanceRequest
from puente.storage.models import Ticket
from puente.storage.peers import Peer


def tell_owner(ctx: Context, ticket: Ticket, text: str | Phrase) -> None:
    """The ticket's owner hears of it; a ticket nobody owns, our leads."""
    escalation_notices.tell_owner(ctx, ticket, text)


def page_on_call(ctx: Context, ticket: Ticket, row: AssistanceRequest, peer: Peer, reminder: bool) -> None:
    """An incoming RFA pages our on-call by the escalation policy of its severity; a re-send pages
    again only if nobody is being paged for the request any more."""
    key = escalation.request_key(row.request_id)
    if reminder and any(page.key == key for page in escalation.open_pages(ctx, ticket)):
        return
    summary = Phrase(
        N_("{peer} ({contact}) asks us to {actions} on their {reference}{deadline}{text}{resent}. {ack}"),
        {
            "peer": peer.name,
            "contact": peer.contact or Phrase(N_("no contact on file")),
            "actions": Words("action", tuple(row.actions)),
            "reference": row.requester_reference,
            "deadline": Phrase(N_(" by {deadline}"), {"deadline": Moment(row.deadline, year=True)})
            if row.deadline
            else "",
            "text": Phrase(N_(': "{text}"'), {"text": Written(row.text[:300], row.language)}) if row.text else "",
            "resent": Phrase(N_(" (re-sent: not acknowledged yet)")) if reminder else "",
            "ack": _takes_it(ticket),
        },
    )
    peer_pages.page_for_assistance_request(ctx, ticket, peer.name, row.request_id, summary)


def _takes_it(ticket: Ticket) -> Phrase:
    return Phrase(N_("/incident ack {reference} takes it."), {"reference": ticket.reference})


def page_for_early_warning(ctx: Context, ticket: Ticket, peer: Peer, text: str, language: str | None = None) -> None:
    """A peer's early warning pages our on-call by the policy of the ticket's severity."""
    summary = Phrase(
        N_("{peer} ({contact}) warns of {title}{text}. {ack}"),
        {
            "peer": peer.name,
            "contact": peer.contact or Phrase(N_("no contact on file")),
            "title": ticket.title,
            "text": Phrase(N_(': "{text}"'), {"text": Written(text[:300], language)}) if text else "",
            "ack": _takes_it(ticket),
        },
    )
    escalation.page_for_early_warning(ctx, ticket, summary)
