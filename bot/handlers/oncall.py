"""On-call commands: who is on call, escalating a ticket, acknowledging a page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from puente.bot.handlers.assistance import answer_buttons
from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.services.assistance import flows as assistance_flows
from puente.services.errors import NotFound
from puente.services.escalation import messages as page_messages
from puente.services.escalation import rotations
from puente.services.escalation import service as escalation
from puente.services.tickets import service as tickets


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as the reader reads it: "Mon 02 Mar 09:00 -05"."""
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def oncall_(call: Invocation) -> Reply:
    found = rotations.listing(call.ctx)
    if not found:
        return Reply(
            text="No on-call rotations yet. An operator adds one with: "
            'puente oncall rotation add NAME --users a,b --handoff "mon 09:00" --tz America/Bogota'
        )
    viewer = call.ctx.actor.timezone if call.ctx.actor else None
    lines = []
    for item in found:
        zone = ZoneInfo(viewer or item.rotation.timezone)
        covering = " (override)" if item.current.override else ""
        lines.append(
            f"{item.rotation.name}: {item.current.user}{covering} now, until {local_time(item.current.ends, zone)};"
            f" next {item.next.user}{' (override)' if item.next.override else ''}"
        )
    shown_in = f"times in {viewer}" if viewer else "times in each rotation's zone (set yours: puente users add … --tz)"
    return Reply(text=f"On call ({shown_in}):", lines=lines)


def escalate(call: Invocation) -> Reply:
    reference = call.args.word(0, "a ticket reference", "/incident escalate INC-… [reason]")
    view = escalation.escalate(call.ctx, tickets.get(call.ctx, reference), " ".join(call.args.words[1:]))
    page = view.page
    first = page_messages.describe_step(page, 0)
    return Reply(
        text=(
            f"Escalated {view.ticket_reference}: page {page.reference} ({page.policy} policy) starts now with {first}."
        ),
        buttons=[Button("Acknowledge", f"ack {page.reference}", ButtonStyle.PRIMARY)],
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
        target = reference.upper() if reference else "you"
        raise NotFound(f"No open page or unacknowledged request for assistance for {target}: nothing to acknowledge.")
    lines = [
        f"{v.page.reference}" + (f" for {v.ticket_reference}" if v.ticket_reference else "") + f": {v.page.summary}"
        for v in stopped
    ]
    lines += [f"ACK sent to {v.peer} for their {v.request.requester_reference}" for v in answered]
    lines += done.refused
    references = done.tickets
    names = ", ".join(references) or "the page"
    text = f"Acknowledged {names}: " + (
        "the chain is stopped and the others paged are told you took it."
        if stopped
        else "the requesting peer is told you have it."
        if answered
        else "nothing was stopped."
    )
    buttons = answer_buttons(answered[-1].ticket) if answered else []
    return Reply(text=text, lines=lines, buttons=buttons, ticket=references[0] if references else None)


SUBCOMMANDS = [
    Subcommand("oncall", "oncall", "Who is on call now and next, per rotation.", oncall_, {}),
    Subcommand(
        "escalate",
        "escalate INC-… [reason]",
        "Page the on-call for a ticket now.",
        escalate,
        parses_options=False,
        details=(
            "Follows the escalation policy of the ticket's severity "
            "until someone acknowledges (puente oncall policies)."
        ),
    ),
    Subcommand(
        "ack",
        "ack [INC-…|P12]",
        "Acknowledge a page (stop the chain, take it) or a peer's request for assistance.",
        ack,
        {},
        details="Without a reference, acknowledges the open pages that paged you. On a ticket with a peer's request"
        " for assistance (or its page), also sends the peer our ACK.",
    ),
]
