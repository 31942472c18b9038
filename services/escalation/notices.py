"""Notices: telling a ticket's owner (or, for a ticket nobody owns, our leads) something, such as a
peer's answer to our request. A notice is a one-step page with nothing to acknowledge, so it is a row
the `escalation` worker delivers with retries, like any page, and a crash loses none."""

from __future__ import annotations

from puente.i18n import Phrase
from puente.services.context import Context
from puente.services.escalation.policies import Policy, make_steps
from puente.services.escalation.service import PageKind, raise_page
from puente.storage.models import Ticket
from puente.storage.pages import Page

TO_OWNER = Policy(repeat=1, steps=make_steps(("owner", True, 0)))
TO_LEADS = Policy(repeat=1, steps=make_steps(("role", "lead", 0)))


def tell_owner(ctx: Context, ticket: Ticket, text: str | Phrase) -> Page:
    """Queue `text` for the ticket's owner; a ticket nobody owns, for our leads."""
    policy = TO_OWNER if ticket.owner_id else TO_LEADS
    return raise_page(ctx, ticket, PageKind.NOTICE, text, policy_name="notice", policy=policy)
