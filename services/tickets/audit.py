"""The audit timeline as its readers read it, and checking it: each event's digest covers what it says and
the event before it on its ticket, so one walk over the chains finds the first event changed, or following a
removed one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from puente import i18n
from puente.i18n import N_, Phrase, Words
from puente.services.context import Context
from puente.services.vocabularies import timeline as timeline_words
from puente.storage import timeline
from puente.storage.models import Ticket, TimelineEvent


@dataclass(frozen=True, slots=True)
class Entry:
    """One event of a ticket's timeline: as recorded (`actor`, `action`, the English `summary`, the fields
    `before` and `after`), and as whoever reads it now reads it (`when`, `who`, `what`, `said`), in their
    language and time zone."""

    at: datetime
    actor: str
    action: str
    summary: str
    wording: i18n.Value | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @classmethod
    def of(cls, event: TimelineEvent) -> Entry:
        wording = i18n.restored(event.wording) if event.wording is not None else None
        return cls(event.at, event.actor, event.action, event.summary, wording, event.before, event.after)

    @property
    def when(self) -> str:
        return i18n.format_datetime(self.at, year=True, seconds=True)

    @property
    def who(self) -> str:
        return timeline_words.actor(self.actor)

    @property
    def what(self) -> str:
        return timeline_words.event(self.action)

    @property
    def said(self) -> str:
        """The summary in the reader's words; events recorded before timelines were worded say it in English."""
        return str(self.wording) if self.wording is not None else self.summary

    @property
    def done(self) -> str:
        """What was done and what the event says of it: `updated: severity high → critical`."""
        said = self.said
        return f"{self.what}: {said}" if said else self.what


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


def change(field: str, before: Any, after: Any) -> Phrase:
    """One field's change, as the timeline says it to each reader: `severity high → critical`."""
    return Phrase(
        N_("{field} {before} → {after}"),
        {
            "field": Words(timeline_words.FIELD, (timeline_words.FIELDS[field].message,)),
            "before": _value(field, before),
            "after": _value(field, after),
        },
    )


def _value(field: str, value: Any) -> i18n.Value:
    if value is None or value == []:
        return "—"
    if field == "severity":
        return Words("severity", (value,))
    if field == "status":
        return Words("ticket status", (value,))
    if field == "sectors":
        return Words("sector", tuple(value))
    if field == "countries":
        return ",".join(value)
    return str(value)
