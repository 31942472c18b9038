"""What a duty officer scans when taking over (as the web view shows it too): every request for assistance
by state, and the regulatory clocks due in the next 24 hours."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.i18n import _, format_datetime, lazy_gettext
from puente.services.assistance import board
from puente.services.tickets import clocks
from puente.services.vocabularies import assistance as protocol_words


def requests(call: Invocation) -> Reply:
    columns = board.board(call.ctx)
    lines = [
        f"{protocol_words.state(state.value)}: {view.ticket} {view.line}"
        for state, views in columns.items()
        for view in views
    ]
    if not lines:
        return Reply(text=_("No requests for assistance."))
    return Reply(text=_("Requests for assistance ({count}), by state:").format(count=len(lines)), lines=lines)


def clocks_(call: Invocation) -> Reply:
    due = clocks.due_within(call.ctx)
    if not due:
        return Reply(text=_("No regulatory deadline in the next 24 h."))
    return Reply(
        text=_("Regulatory clocks due in the next 24 h ({count}):").format(count=len(due)),
        lines=[
            _("{due} {reference} {deadline} ({after} after awareness), owner {owner}").format(
                due=format_datetime(clock.due),
                reference=clock.ticket.reference,
                deadline=clock.deadline,
                after=clock.after_awareness,
                owner=clock.owner or _("unassigned"),
            )
            for clock in due
        ],
    )


SUBCOMMANDS = [
    Subcommand(
        "requests",
        "requests",
        lazy_gettext("Every request for assistance, ours and peers', by state."),
        requests,
        {},
    ),
    Subcommand(
        "clocks",
        "clocks",
        lazy_gettext("Regulatory deadlines (early warning, notification, report) due in 24 h."),
        clocks_,
        {},
    ),
]
