"""On-call commands: who is on call, escalating a ticket, acknowledging a page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from puente import i18n
from puente.bot.handlers.assistance import answer_buttons
from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.i18n import _, lazy_gettext
from puente.services.assistance import flows as assistance_flows
from puente.services.errors import NotFound
from puente.services.escalation import messages as page_messages
from puente.services.escalation import rotations
from puente.services.escalation import service as escalation
from puente.services.tickets import service as tickets


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as the reader reads it, in `zone`: "Mon, Mar 2, 09:00 -05"."""
    return i18n.format_datetime(moment, zone)


def oncall_(call: Invocation) -> Reply:
    found = rotations.listing(call.ctx)
    if not found:
        return Reply(
            text=_(
                "No on-call rotations yet. An operator adds one with: "
                'puente oncall rotation add NAME --users a,b --handoff "mon 09:00" --tz America/Bogota'
            )
        )
    viewer = call.ctx.actor.timezone if call.ctx.actor else None
    lines = []
    for item in found:
        zone = ZoneInfo(viewer or item.rotation.timezone)
        current = item.current.user + (" " + _("(override)") if item.current.override else "")
        following = item.next.user + (" " + _("(override)") if item.next.override else "")
        lines.append(
            _("{rotation}: {current} now, until {until}; next {next}").format(
                rotation=item.rotation.name,
                current=current,
                until=local_time(item.current.ends, zone),
                next=following,
            )
        )
    if viewer:
        text = _("On call (times in {zone}):").format(zone=viewer)
    else:
        text = _("On call (times in each rotation's zone; set yours: puente users set NAME --tz ZONE):")
    return Reply(text=text, lines=lines)


def escalate(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), "/incident escalate INC-… [reason]")
    view = escalation.escalate(call.ctx, tickets.get(call.ctx, reference), " ".join(call.args.words[1:]))
    page = view.page
    first = page_messages.describe_step(page, 0)
    return Reply(
        text=_("Escalated {reference}: page {page} ({policy} policy) starts now with {first}.").format(
            reference=view.ticket_reference, page=page.reference, policy=page.policy, first=first
        ),
        buttons=[Button(_("Acknowledge"), f"ack {page.reference}", ButtonStyle.PRIMARY)],
        ticket=view.ticket_reference,
    )


def ack(call: Invocation) -> Reply:
    """Stop the pages and, for a ticket with a peer's request not yet acknowledged, send the peer our ACK."""
    reference = call.args.words[0] if call.args.words else None
    page_id = escalation.parse_page_reference(reference) if reference else None
    ticket = tickets.get(call.ctx, reference) if reference and page_id is None else None
    done = assistance_flows.acknowledge(call.ctx, ticket or page_id)
    stopped, answered = done.stopped, done.answered
    if not stopped and not answered and not done.refused:
        if reference:
            nothing = _("No open page or unacknowledged request for assistance for {target}: nothing to acknowledge.")
            raise NotFound(nothing.format(target=reference.upper()))
        raise NotFound(_("No open page or unacknowledged request for assistance for you: nothing to acknowledge."))
    lines = [
        _("{page} for {reference}: {what}").format(
            page=v.page.reference, reference=v.ticket_reference, what=page_messages.said(v.page)
        )
        if v.ticket_reference
        else f"{v.page.reference}: {page_messages.said(v.page)}"
        for v in stopped
    ]
    lines += [
        _("ACK sent to {peer} for their {reference}").format(peer=v.peer, reference=v.request.requester_reference)
        for v in answered
    ]
    lines += done.refused
    references = done.tickets
    names = ", ".join(references) or _("the page")
    if stopped:
        text = _("Acknowledged {names}: the chain is stopped and the others paged are told you took it.")
    elif answered:
        text = _("Acknowledged {names}: the requesting peer is told you have it.")
    else:
        text = _("Acknowledged {names}: nothing was stopped.")
    buttons = answer_buttons(answered[-1].ticket) if answered else []
    return Reply(
        text=text.format(names=names), lines=lines, buttons=buttons, ticket=references[0] if references else None
    )


SUBCOMMANDS = [
    Subcommand("oncall", "oncall", lazy_gettext("Who is on call now and next, per rotation."), oncall_, {}),
    Subcommand(
        "escalate",
        "escalate INC-… [reason]",
        lazy_gettext("Page the on-call for a ticket now."),
        escalate,
        parses_options=False,
        details=lazy_gettext(
            "Follows the escalation policy of the ticket's severity until someone acknowledges"
            " (puente oncall policies)."
        ),
    ),
    Subcommand(
        "ack",
        "ack [INC-…|P12]",
        lazy_gettext("Acknowledge a page (stop the chain, take it) or a peer's request for assistance."),
        ack,
        {},
        details=lazy_gettext(
            "Without a reference, acknowledges the open pages that paged you. On a ticket with a peer's request"
            " for assistance (or its page), also sends the peer our ACK."
        ),
    ),
]
