"""The regulatory clocks of a ticket: NIS2-style deadlines counted from the time of awareness, and the
reminder its owner gets once, shortly before each (service.py raises it as a one-step page)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from puente.services.escalation.policies import Policy, make_steps
from puente.storage.models import Ticket


@dataclass(frozen=True, slots=True)
class RegulatoryDeadline:
    key: str
    name: str
    after_awareness: str
    remind_before: timedelta


# NIS2-style clocks from the time of awareness; the owner is reminded once, shortly before each.
REGULATORY_DEADLINES = (
    RegulatoryDeadline("24h", "early warning", "24 h", timedelta(hours=2)),
    RegulatoryDeadline("72h", "incident notification", "72 h", timedelta(hours=2)),
    RegulatoryDeadline("1m", "final report", "1 month", timedelta(days=1)),
)

REMINDER_POLICY = Policy(repeat=1, steps=make_steps(("owner", True, 0)))


def _add_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def deadline_of(ticket: Ticket, deadline: RegulatoryDeadline) -> datetime:
    aware = ticket.aware_at
    return {"24h": aware + timedelta(hours=24), "72h": aware + timedelta(hours=72), "1m": _add_month(aware)}[
        deadline.key
    ]


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder page to raise: its key on the ticket, what it says and when it fires."""

    key: str
    summary: str
    fire_at: datetime


def reminders_ahead(ticket: Ticket, now: datetime, taken: set[str | None]) -> list[Reminder]:
    """The reminders of the deadlines still ahead, but for those whose key is `taken` (already raised)."""
    reminders = []
    for deadline in REGULATORY_DEADLINES:
        due = deadline_of(ticket, deadline)
        key = f"deadline:{deadline.key}"
        if due <= now or key in taken:
            continue
        summary = (
            f"{deadline.name} due {due:%Y-%m-%d %H:%M} UTC ({deadline.after_awareness} after awareness"
            f" at {ticket.aware_at:%Y-%m-%d %H:%M} UTC)"
        )
        reminders.append(Reminder(key, summary, max(now, due - deadline.remind_before)))
    return reminders
