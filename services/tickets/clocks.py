"""The regulatory clocks running on open tickets (from the time of awareness, by the clock set of each
ticket's countries and sectors; the clocks themselves are the escalation domain's), and which of them,
not yet filed, fall due soon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from puente.services.context import Context
from puente.services.escalation import regulatory
from puente.services.escalation import service as escalation
from puente.services.tickets.readers import readable
from puente.storage import tickets as ticket_store
from puente.storage.models import Ticket, User


@dataclass(frozen=True, slots=True)
class ClockDue:
    ticket: Ticket
    owner: str | None
    deadline: str  # early warning, incident notification, final report
    after_awareness: str
    due: datetime


def due_within(ctx: Context, window: timedelta = timedelta(hours=24)) -> list[ClockDue]:
    """The deadlines of open tickets the acting person may read that fall due from now to `window` ahead."""
    reader = readable(ctx, "reading regulatory clocks")
    now = ctx.now()
    due: list[ClockDue] = []
    longest = regulatory.longest(ctx.settings.regulatory_clocks)
    for ticket in ticket_store.open_aware_since(ctx.session, now - longest):
        if not reader.allows(ticket):
            continue
        owner = ctx.session.get(User, ticket.owner_id) if ticket.owner_id else None
        for clock in escalation.clocks_of(ctx, ticket):
            if clock.filed is None and now <= clock.due <= now + window:
                due.append(
                    ClockDue(ticket, owner.name if owner else None, clock.stage.said, str(clock.lasting), clock.due)
                )
    return sorted(due, key=lambda clock: clock.due)
