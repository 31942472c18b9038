"""Checking the audit timeline: each event's digest covers what it says and the event before it on
its ticket, so one walk over the chains finds the first event changed, or following a removed one."""

from __future__ import annotations

from dataclasses import dataclass

from puente.services.context import Context
from puente.storage import timeline
from puente.storage.models import Ticket


@dataclass(frozen=True)
class AuditReport:
    checked: int
    broken: str | None = None  # the first event that does not hold, and why; None when all hold

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify(ctx: Context) -> AuditReport:
    checked, found = timeline.first_break(ctx.session)
    if found is None:
        return AuditReport(checked)
    event = found.event
    ticket = ctx.session.get(Ticket, event.ticket_id) if event.ticket_id is not None else None
    where = ticket.reference if ticket is not None else "no ticket"
    return AuditReport(
        checked,
        f"event #{event.id} ({where}, {event.at:%Y-%m-%d %H:%M:%S} UTC, {event.actor} {event.action}): {found.reason}",
    )
