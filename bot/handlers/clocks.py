"""Regulatory clocks: the lines `show` gives them (deadline in the reader's time zone, state), and
`/incident filed INC-… early-warning|notification|final [ref=…]`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.services.escalation import filings, regulatory
from puente.services.escalation import service as escalation
from puente.services.tickets import service as tickets
from puente.storage.models import Ticket

USAGE = f"/incident filed INC-… {'|'.join(regulatory.STAGE_KEYS)} [ref=AUTHORITY-REFERENCE]"


def _local(call: Invocation, moment: datetime) -> str:
    zone = ZoneInfo(call.ctx.actor.timezone) if call.ctx.actor and call.ctx.actor.timezone else ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


def clock_lines(call: Invocation, ticket: Ticket) -> list[str]:
    """⏰ early warning due Tue 06 Jan 2026 07:00 -05 (24 h after awareness): running"""
    now = call.ctx.now()
    return [
        f"⏰ {clock.stage.name} due {_local(call, clock.due)} ({clock.after} after awareness,"
        f" {clock.source}): {clock.state(now)}"
        for clock in escalation.clocks_of(call.ctx, ticket)
    ]


def filed(call: Invocation) -> Reply:
    reference = call.args.word(0, "a ticket reference", USAGE)
    stage = call.args.word(1, f"the stage filed ({', '.join(regulatory.STAGE_KEYS)})", USAGE)
    ticket = tickets.get(call.ctx, reference)
    clock = filings.file(call.ctx, ticket, stage, call.args.options.get("ref"))
    return Reply(
        text=f"{ticket.reference}: {clock.stage.name} recorded as filed; its reminders stop.",
        lines=clock_lines(call, ticket),
        ticket=ticket.reference,
    )


SUBCOMMANDS = [
    Subcommand(
        "filed",
        USAGE.removeprefix("/incident "),
        "Record that a regulatory notification was filed (stops that clock's reminders).",
        filed,
        {"ref": "ref"},
        details="Clocks run from the time of awareness (aware= on /incident new); /incident show lists them.",
    ),
]
