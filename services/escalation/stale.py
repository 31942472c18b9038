"""After acknowledgement nothing is forgotten: an open ticket with no update for longer than its
severity allows (critical 2 h, high 8 h, medium 3 days unless the policy file's [stale_after_minutes]
says otherwise) reminds its owner, or our leads if nobody owns it, once per such quiet spell."""

from __future__ import annotations

from puente.i18n import N_, Phrase, Words
from puente.services.context import Context, Runtime
from puente.services.escalation import notices
from puente.services.escalation.service import PageKind, policies_in_force, raise_page
from puente.services.vocabularies.taxonomy import Severity
from puente.storage import pages as page_store
from puente.storage import tickets as ticket_store

CHECK_EVERY_SECONDS = 60.0


def tick(runtime: Runtime) -> float:
    """The `stale-tickets` worker: one look at the quiet tickets, then sleep."""
    with runtime.unit_of_work(actor_name="escalation") as ctx:
        remind_quiet_tickets(ctx)
    return CHECK_EVERY_SECONDS


def remind_quiet_tickets(ctx: Context) -> int:
    """Remind the owners of tickets quiet for too long; returns how many reminders were raised."""
    policies = policies_in_force(ctx)
    limits = {severity: policies.stale_after(severity) for severity in Severity}
    shortest = min((limit for limit in limits.values() if limit), default=None)
    if shortest is None:
        return 0
    now = ctx.now()
    quiet = ticket_store.quiet_since(ctx.session, now - shortest, ticket_store.OPEN_STATUSES)
    taken = page_store.keys_of(ctx.session, PageKind.STALE, [t.id for t in quiet if t.id is not None])
    raised = 0
    for ticket in quiet:
        limit = limits.get(Severity(ticket.severity))
        if limit is None or now - ticket.updated_at < limit:
            continue
        spell = int((now - ticket.updated_at) / limit)  # one reminder per full period of silence
        key = f"stale:{ticket.updated_at:%Y%m%dT%H%M%S}:{spell}"
        if (ticket.id, key) in taken:
            continue
        hours = (now - ticket.updated_at).total_seconds() / 3600
        raise_page(
            ctx,
            ticket,
            PageKind.STALE,
            Phrase(
                N_(
                    "no update for {hours} h (a {severity} ticket is reminded after {limit} h): {title}."
                    " A note or an update shows it is in hand."
                ),
                {
                    "hours": f"{hours:.0f}",
                    "severity": Words("severity", (ticket.severity,)),
                    "limit": f"{limit.total_seconds() / 3600:g}",
                    "title": ticket.title,
                },
            ),
            policy_name="stale",
            policy=notices.TO_OWNER if ticket.owner_id else notices.TO_LEADS,
            key=key,
        )
        raised += 1
    return raised
