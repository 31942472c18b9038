"""Regulatory clocks: the lines `show` gives them (deadline in the reader's time zone, state), and
`/incident filed INC-… early-warning|notification|final [ref=…]`."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.i18n import _, format_datetime, lazy_gettext
from puente.services.escalation import filings, regulatory
from puente.services.escalation import service as escalation
from puente.services.tickets import service as tickets
from puente.storage.models import Ticket

USAGE = f"/incident filed INC-… {'|'.join(regulatory.STAGE_KEYS)} [ref=AUTHORITY-REFERENCE]"


def clock_lines(call: Invocation, ticket: Ticket) -> list[str]:
    """⏰ early warning due Tue, Jan 6, 2026, 07:00 -05 (24 h after awareness, built-in): running"""
    now = call.ctx.now()
    return [
        "⏰ "
        + _("{stage} due {due} ({after} after awareness, {source}): {state}").format(
            stage=clock.stage.said,
            due=format_datetime(clock.due, year=True),
            after=clock.lasting,
            source=clock.set_name,
            state=clock.state(now),
        )
        for clock in escalation.clocks_of(call.ctx, ticket)
    ]


def filed(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), USAGE)
    stage = call.args.word(1, _("the stage filed ({stages})").format(stages=", ".join(regulatory.STAGE_KEYS)), USAGE)
    ticket = tickets.get(call.ctx, reference)
    clock = filings.file(call.ctx, ticket, stage, call.args.options.get("ref"))
    return Reply(
        text=_("{reference}: {stage} recorded as filed; its reminders stop.").format(
            reference=ticket.reference, stage=clock.stage.said
        ),
        lines=clock_lines(call, ticket),
        ticket=ticket.reference,
    )


SUBCOMMANDS = [
    Subcommand(
        "filed",
        USAGE.removeprefix("/incident "),
        lazy_gettext("Record that a regulatory notification was filed (stops that clock's reminders)."),
        filed,
        {"ref": "ref"},
        details=lazy_gettext(
            "Clocks run from the time of awareness (aware= on /incident new); /incident show lists them."
        ),
    ),
]
