"""What a duty officer scans when taking over (as the web view shows it too): every request for assistance
by state, and the regulatory clocks due in the next 24 hours."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.services.assistance import board
from puente.services.tickets import clocks


def requests(call: Invocation) -> Reply:
    columns = board.board(call.ctx)
    lines = [f"{state.value}: {view.ticket} {view.line}" for state, views in columns.items() for view in views]
    if not lines:
        return Reply(text="No requests for assistance.")
    return Reply(text=f"Requests for assistance ({len(lines)}), by state:", lines=lines)


def clocks_(call: Invocation) -> Reply:
    due = clocks.due_within(call.ctx)
    if not due:
        return Reply(text="No regulatory deadline in the next 24 h.")
    return Reply(
        text=f"Regulatory clocks due in the next 24 h ({len(due)}):",
        lines=[
            f"{clock.due:%Y-%m-%d %H:%M} UTC {clock.ticket.reference} {clock.deadline}"
            f" ({clock.after_awareness} after awareness), owner {clock.owner or 'unassigned'}"
            for clock in due
        ],
    )


SUBCOMMANDS = [
    Subcommand("requests", "requests", "Every request for assistance, ours and peers', by state.", requests, {}),
    Subcommand(
        "clocks", "clocks", "Regulatory deadlines (early warning, notification, report) due in 24 h.", clocks_, {}
    ),
]
