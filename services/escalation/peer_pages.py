"""Pages peers cause: a request for assistance addressed to us (grouped beyond the rate the policy file
allows one peer), a peer that missed the ACK deadline of our request, and a peer's ESCALATE (it got no
ACK from us even after re-sending), which pages our leads at critical."""

from __future__ import annotations

from datetime import timedelta

from puente.i18n import N_, Phrase, in_english
from puente.services.context import Context
from puente.services.escalation.policies import Policy, make_steps
from puente.services.escalation.service import PageKind, policies_in_force, raise_page, request_key
from puente.services.vocabularies.taxonomy import Severity
from puente.storage import pages as page_store
from puente.storage.models import Ticket
from puente.storage.pages import Page

# Beyond its hourly rate, a peer's requests gather this long in one page before it fires.
GATHERING = timedelta(minutes=5)
# A peer's ESCALATE pages our leads, with the critical policy's rounds.
LEADS_WAIT_MINUTES = 10


def page_for_assistance_request(
    ctx: Context, ticket: Ticket, peer_name: str, request_id: str, summary: str | Phrase
) -> Page | None:
    """An incoming request for assistance pages the on-call by the policy of the ticket's severity.

    Past `peer_pages_per_hour` pages raised by this peer within the hour, the request joins one page
    that lists the requests instead (None is returned): a flood of requests wakes people once."""
    raiser = f"peer:{peer_name}"
    allowed = policies_in_force(ctx).paging.peer_pages_per_hour
    if page_store.raised_since(ctx.session, PageKind.ASSISTANCE, raiser, ctx.now() - timedelta(hours=1)) < allowed:
        return raise_page(
            ctx,
            ticket,
            PageKind.ASSISTANCE,
            Phrase(N_("request for assistance: {summary}"), {"summary": summary}),
            key=request_key(request_id),
        )
    # Gathered requests read as the timeline records them: a flood is read once, not worded per reader.
    line = f"{ticket.reference} ({ticket.severity}): {in_english(summary)}"
    key = f"peer-group:{peer_name}"
    group = page_store.gathering(ctx.session, key)
    if group is None:
        raise_page(
            ctx,
            None,
            PageKind.ASSISTANCE,
            f"{peer_name} sent more than {allowed} requests for assistance within the hour; these share one page "
            f"(acknowledge each with /incident ack INC-…): {line}",
            policy_name=_worst(ctx, ticket.severity, Severity.HIGH.value),
            key=key,
            fire_at=ctx.now() + GATHERING,
        )
    else:
        group.summary = f"{group.summary}; {line}"[:4000]
        group.policy = _worst(ctx, group.policy, ticket.severity)
        ctx.session.add(group)
    ctx.record(
        action="paged",
        ticket_id=ticket.id,
        summary=Phrase(N_("request for assistance joins the page of {key}"), {"key": key}),
    )
    return None


def _worst(ctx: Context, *severities: str) -> str:
    return max((Severity(s) for s in severities), key=lambda s: s.rank).value


def page_for_missed_ack(ctx: Context, ticket: Ticket, peer_name: str, request_id: str, summary: str | Phrase) -> Page:
    """A peer did not acknowledge our request in time: page the on-call by the ticket's severity policy."""
    return raise_page(
        ctx,
        ticket,
        PageKind.MISSED_ACK,
        Phrase(N_("{peer} missed the ACK deadline: {summary}"), {"peer": peer_name, "summary": summary}),
        key=request_key(request_id),
    )


def page_for_peer_escalation(
    ctx: Context, ticket: Ticket, peer_name: str, request_id: str, summary: str | Phrase
) -> Page:
    """The requesting peer escalated: it has no ACK from us. Page our leads at critical."""
    rounds = policies_in_force(ctx).for_severity(Severity.CRITICAL).repeat
    leads = Policy(repeat=rounds, steps=make_steps(("role", "lead", LEADS_WAIT_MINUTES)))
    return raise_page(
        ctx,
        ticket,
        PageKind.PEER_ESCALATED,
        Phrase(N_("{peer} escalated its request: {summary}"), {"peer": peer_name, "summary": summary}),
        policy_name=Severity.CRITICAL.value,
        policy=leads,
        key=request_key(request_id),
    )
