"""The words people read about a page: the page itself, the update once it was taken or stopped, and
how a step and its target are named in replies and on the ticket's timeline. Each is said in the
language of whoever reads it (the scheduled worker says a page in each recipient's)."""

from __future__ import annotations

from puente import i18n
from puente.i18n import N_, Listed, N_plural, Phrase, Words, _, lazy_gettext
from puente.services.context import Context
from puente.services.escalation.policies import ALL_ROTATIONS
from puente.services.escalation.service import PageKind, outcome_of
from puente.services.notify import Action, Notice, single_line
from puente.services.vocabularies import words
from puente.storage.models import Ticket
from puente.storage.pages import Page, PageDelivery

KINDS = {
    PageKind.SEVERITY: lazy_gettext("new ticket that pages (its severity, or cross-border)"),
    PageKind.ESCALATE: lazy_gettext("escalated from chat"),
    PageKind.ASSISTANCE: lazy_gettext("incoming request for assistance"),
    PageKind.MISSED_ACK: lazy_gettext("peer missed ACK deadline"),
    PageKind.PEER_ESCALATED: lazy_gettext("the requesting peer escalated: no ACK from us yet"),
    PageKind.DEADLINE: lazy_gettext("regulatory deadline"),
    PageKind.EARLY_WARNING: lazy_gettext("early warning from a peer CSIRT"),
    PageKind.STALE: lazy_gettext("no update for too long"),
}


def target_text(step: dict[str, object]) -> str:
    return str(target_phrase(step))


def target_phrase(step: dict[str, object]) -> i18n.Value:
    """Whom a step pages, read later (the timeline) in whoever's language reads it."""
    kind, name = step["target"], str(step["name"])
    if kind == "rotation":
        if name == ALL_ROTATIONS:
            return Phrase(N_("the on-call of every rotation"))
        return Phrase(N_("the on-call of rotation {name}"), {"name": name})
    if kind == "owner":
        return Phrase(N_("the ticket's owner"))
    if kind == "role":
        return Phrase(N_("every {role}"), {"role": name})
    return f"#{name}" if kind == "channel" else name


def describe_step(page: Page, index: int) -> str:
    """ "the on-call of rotation primary (step 1 of 2, round 1 of 3)"."""
    return f"{target_text(page.steps[index % len(page.steps)])} ({step_text(page, index)})"


def step_text(page: Page, index: int) -> str:
    return str(step_phrase(page, index))


def step_phrase(page: Page, index: int) -> Phrase:
    """ "step 1 of 2, round 1 of 3", read later (the timeline) in whoever's language reads it."""
    count = len(page.steps)
    step = Phrase(N_("step {step} of {count}"), {"step": str(index % count + 1), "count": str(count)})
    if page.repeat <= 1:
        return step
    rounds = Phrase(N_("round {round} of {rounds}"), {"round": str(index // count + 1), "rounds": str(page.repeat)})
    return Phrase(N_("{step}, {round}"), {"step": step, "round": rounds})


def said_of(page: Page) -> i18n.Value:
    """What the page says, as a value to be read later: its phrase, or its English summary."""
    return Phrase.from_stored(page.wording) if page.wording else page.summary


def said(page: Page) -> str:
    """What the page says, in the reader's language when it was raised as a phrase."""
    return str(said_of(page))


def _headline(page: Page, reference: str | None, what: str) -> str:
    if reference:
        return _("Page {page} for {reference}: {what}").format(page=page.reference, reference=reference, what=what)
    return _("Page {page}: {what}").format(page=page.reference, what=what)


def page_notice(page: Page, ticket: Ticket | None, step: int) -> Notice:
    reference = ticket.reference if ticket else None
    if page.kind == PageKind.NOTICE:
        return Notice(single_line(said(page)), ticket=reference)
    why = KINDS.get(page.kind)
    fields = [(_("Why"), str(why) if why is not None else page.kind)]
    if ticket is not None:
        fields += [
            (_("Ticket"), f"{ticket.reference} {ticket.title}"),
            (_("Severity"), words.severity(ticket.severity)),
        ]
    fields.append((_("Step"), step_text(page, step)))
    headline = _headline(page, reference, single_line(said(page)))
    return Notice(headline, tuple(fields), (Action(_("Acknowledge"), f"ack {page.reference}", "primary"),), reference)


def update_notice(ctx: Context, page: Page, ticket: Ticket | None) -> Notice:
    """The page once it stopped, as its reader reads it (in their language and time zone, set around it)."""
    outcome = str(outcome_of(page)) or page.status
    if page.acknowledged_by and page.finished_at:
        outcome = _("taken by {name} at {time}").format(
            name=page.acknowledged_by, time=i18n.format_datetime(page.finished_at)
        )
    reference = ticket.reference if ticket else None
    return Notice(_headline(page, reference, f"{outcome}."), ((_("Was"), said(page)),), (), reference)


# What the escalation worker records on a ticket's timeline, read later in whoever's language reads it.


def step_fired(page: Page, index: int, step: dict[str, object], reached: list[str]) -> Phrase:
    who: i18n.Value = (
        Listed(tuple(reached))
        if reached
        else Phrase(N_("nobody reachable ({target})"), {"target": target_phrase(step)})
    )
    return Phrase(
        N_("page {page} {step}: {reached}"), {"page": page.reference, "step": step_phrase(page, index), "reached": who}
    )


def step_brought_forward(page: Page, step: int) -> Phrase:
    return Phrase(
        N_("page {page}: nobody could be reached at {step}; next step fires now"),
        {"page": page.reference, "step": step_phrase(page, step)},
    )


def delivery_failed(page: Page, delivery: PageDelivery, error: str) -> Phrase:
    return Phrase.counted(
        N_plural(
            "page {page}: {purpose} to {recipient} over {platform} failed after {count} attempt: {error}",
            "page {page}: {purpose} to {recipient} over {platform} failed after {count} attempts: {error}",
        ),
        delivery.attempts,
        page=page.reference,
        purpose=Words("page delivery", (delivery.purpose,)),
        recipient=delivery.recipient,
        platform=delivery.platform,
        error=error,
    )
