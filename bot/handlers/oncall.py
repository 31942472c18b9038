"""On-call commands: who is on call, escalating a ticket, acknowledging a page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.registry import Invocation, Subcommand
from bot.replies import Button, ButtonStyle, Reply
from services import escalation, oncall
from services.errors import NotFound


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def oncall_(call: Invocation) -> Reply:
    found = oncall.rotations(call.ctx)
    if not found:
        return Reply(text="No on-call rotations yet. An operator adds one with: puente oncall rotation add NAME --users a,b --handoff \"mon 09:00\" --tz America/Bogota")
    viewer = call.ctx.actor.timezone if call.ctx.actor else None
    lines = []
    for item in found:
        zone = ZoneInfo(viewer or item.rotation.timezone)
        covering = " (override)" if item.current.override else ""
        lines.append(
            f"{item.rotation.name}: {item.current.user}{covering} now, until {_when(item.current.ends, zone)};"
            f" next {item.next.user}{' (override)' if item.next.override else ''}"
        )
    shown_in = f"times in {viewer}" if viewer else "times in each rotation's zone (set yours: puente users add … --tz)"
    return Reply(text=f"On call ({shown_in}):", lines=lines)


def escalate(call: Invocation) -> Reply:
    reference = call.args.word(0, "a ticket reference", "/incident escalate INC-… [reason]")
    view = escalation.escalate(call.ctx, reference, " ".join(call.args.words[1:]))
    page = view.page
    first = escalation.describe_step(page, 0)
    return Reply(
        text=f"Escalated {view.ticket_reference}: page {page.reference} ({page.policy} policy) starts now with {first}.",
        buttons=[Button("Acknowledge", f"ack {page.reference}", ButtonStyle.PRIMARY)],
        ticket=view.ticket_reference,
    )


def ack(call: Invocation) -> Reply:
    reference = call.args.words[0] if call.args.words else None
    stopped = escalation.acknowledge(call.ctx, reference)
    if not stopped:
        target = reference.upper() if reference else "you"
        raise NotFound(f"No open page for {target}: nothing to acknowledge.")
    lines = [f"{v.page.reference}" + (f" for {v.ticket_reference}" if v.ticket_reference else "") + f": {v.page.summary}" for v in stopped]
    tickets = sorted({v.ticket_reference for v in stopped if v.ticket_reference})
    names = ", ".join(tickets) or "the page"
    return Reply(
        text=f"Acknowledged {names}: the chain is stopped and the others paged are told you took it.",
        lines=lines,
        ticket=tickets[0] if tickets else None,
    )


SUBCOMMANDS = [
    Subcommand("oncall", "oncall", "Who is on call now and next, per rotation.", oncall_, {}),
    Subcommand(
        "escalate", "escalate INC-… [reason]", "Page the on-call for a ticket now.", escalate, parses_options=False,
        details="Follows the escalation policy of the ticket's severity until someone acknowledges (puente oncall policies).",
    ),
    Subcommand(
        "ack", "ack [INC-…|P12]", "Acknowledge a page: stop the chain and take it.", ack, {},
        details="Without a reference, acknowledges the open pages that paged you.",
    ),
]  # fmt: skip
