"""The words people read about a page: the page itself, the update once it was taken or stopped, and
how a step and its target are named in replies and on the ticket's timeline."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from puente.services.context import Context
from puente.services.escalation.policies import ALL_ROTATIONS
from puente.services.escalation.service import PageKind
from puente.services.notify import Action, Notice, single_line
from puente.storage import users
from puente.storage.models import Ticket
from puente.storage.pages import Page


def target_text(step: dict[str, object]) -> str:
    kind, name = step["target"], step["name"]
    if kind == "rotation":
        return "the on-call of every rotation" if name == ALL_ROTATIONS else f"the on-call of rotation {name}"
    return {"owner": "the ticket's owner", "role": f"every {name}", "channel": f"#{name}"}.get(str(kind), str(name))


def describe_step(page: Page, index: int) -> str:
    """ "the on-call of rotation primary (step 1 of 2, round 1 of 3)"."""
    return f"{target_text(page.steps[index % len(page.steps)])} ({step_text(page, index)})"


def step_text(page: Page, index: int) -> str:
    count = len(page.steps)
    text = f"step {index % count + 1} of {count}"
    return text + (f", round {index // count + 1} of {page.repeat}" if page.repeat > 1 else "")


def page_notice(page: Page, ticket: Ticket | None, step: int) -> Notice:
    reference = ticket.reference if ticket else None
    if page.kind == PageKind.NOTICE:
        return Notice(single_line(page.summary), ticket=reference)
    kinds = {
        PageKind.SEVERITY: "new ticket that pages (its severity, or cross-border)",
        PageKind.ESCALATE: "escalated from chat",
        PageKind.ASSISTANCE: "incoming request for assistance",
        PageKind.MISSED_ACK: "peer missed ACK deadline",
        PageKind.PEER_ESCALATED: "the requesting peer escalated: no ACK from us yet",
        PageKind.DEADLINE: "regulatory deadline",
        PageKind.EARLY_WARNING: "early warning from a peer CSIRT",
        PageKind.STALE: "no update for too long",
    }
    fields = [("Why", kinds.get(page.kind, page.kind))]
    if ticket is not None:
        fields += [("Ticket", f"{ticket.reference} {ticket.title}"), ("Severity", ticket.severity)]
    fields.append(("Step", step_text(page, step)))
    headline = f"Page {page.reference}" + (f" for {reference}" if reference else "") + f": {single_line(page.summary)}"
    return Notice(headline, tuple(fields), (Action("Acknowledge", f"ack {page.reference}", "primary"),), reference)


def update_notice(ctx: Context, page: Page, ticket: Ticket | None, recipient: str) -> Notice:
    outcome = page.outcome or page.status
    if page.acknowledged_by and page.finished_at:
        # Say when in the reader's own time zone when we know it.
        person = users.by_name(ctx.session, recipient)
        zone = ZoneInfo(person.timezone) if person and person.timezone else UTC
        local = page.finished_at.astimezone(zone)
        outcome = f"taken by {page.acknowledged_by} at {local:%H:%M} {local.tzname()}"
    reference = ticket.reference if ticket else None
    headline = f"Page {page.reference}" + (f" for {reference}" if reference else "") + f": {outcome}."
    return Notice(headline, (("Was", page.summary),), (), reference)
