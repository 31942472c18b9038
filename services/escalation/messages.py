"""The words people read about a page: the page itself, the update once it was taken or stopped, and
how a step and its target are named in replies and on the ticket's timeline. Each is said in the
language of whoever reads it (the scheduled worker says a page in each recipient's)."""

from __future__ import annotations

from puente import i18n
from puente.i18n import Phrase, _, lazy_gettext
from puente.services.context import Context
from puente.services.escalation.policies import ALL_ROTATIONS
from puente.services.escalation.service import PageKind
from puente.services.notify import Action, Notice, single_line
from puente.services.vocabularies import words
from puente.storage.models import Ticket
from puente.storage.pages import Page

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
    kind, name = step["target"], step["name"]
    if kind == "rotation":
        if name == ALL_ROTATIONS:
            return _("the on-call of every rotation")
        return _("the on-call of rotation {name}").format(name=name)
    if kind == "owner":
        return _("the ticket's owner")
    if kind == "role":
        return _("every {role}").format(role=name)
    return f"#{name}" if kind == "channel" else str(name)


def describe_step(page: Page, index: int) -> str:
    """ "the on-call of rotation primary (step 1 of 2, round 1 of 3)"."""
    return f"{target_text(page.steps[index % len(page.steps)])} ({step_text(page, index)})"


def step_text(page: Page, index: int) -> str:
    count = len(page.steps)
    text = _("step {step} of {count}").format(step=index % count + 1, count=count)
    if page.repeat > 1:
        text += ", " + _("round {round} of {rounds}").format(round=index // count + 1, rounds=page.repeat)
    return text


def said(page: Page) -> str:
    """What the page says, in the reader's language when it was raised as a phrase."""
    return str(Phrase.from_stored(page.wording)) if page.wording else page.summary


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
    outcome = page.outcome or page.status
    if page.acknowledged_by and page.finished_at:
        outcome = _("taken by {name} at {time}").format(
            name=page.acknowledged_by, time=i18n.format_datetime(page.finished_at)
        )
    reference = ticket.reference if ticket else None
    return Notice(_headline(page, reference, f"{outcome}."), ((_("Was"), said(page)),), (), reference)
