"""The regulatory clocks running on open tickets (NIS2-style, from the time of awareness; the deadlines
themselves are the escalation domain's), and which of them fall due soon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from puente.services.context import Context
from puente.services.escalation.regulatory import REGULATORY_DEADLINES, deadline_of
from puente.services.tickets.readers import readable
from puente.storage import tickets as ticket_store
from puente.storage.models import Ticket, User

# No clock runs longer than a month after awareness.
LONGEST = timedelta(days=31)


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
    for ticket in ticket_store.open_aware_since(ctx.session, now - LONGEST):
        if not reader.allows(ticket):
            continue
        owner = ctx.session.get(User, ticket.owner_id) if ticket.owner_id else None
        for deadline in REGULATORY_DEADLINES:
            moment = deadline_of(ticket, deadline)
            if now <= moment <= now + window:
                due.append(
                    ClockDue(ticket, owner.name if owner else None, deadline.name, deadline.after_awareness, moment)
                )
    return sorted(due, key=lambda clock: clock.due)
