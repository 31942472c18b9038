"""The regulatory clocks of a ticket: deadlines counted from the time of awareness for the early warning,
the incident notification and the final report, and the reminder its owner gets shortly before each
(service.py raises it as a one-step page; one already overdue fires at once).

Which clocks run depends on the country and sector: a TOML file named by PUENTE_REGULATORY_CLOCKS lists
clock sets, the first whose countries and sectors the ticket touches applies; without a file, or when
none matches, the built-in NIS2-style set (24 h, 72 h, 1 month) does:

    [[clocks]]
    name = "Colombian health sector"  # shown with each clock
    countries = ["CO"]                # any country if left out
    sectors = ["healthcare"]          # any sector if left out
    early-warning = "6h"              # hours (h), days (d) or months; a stage left out has no clock
    notification = "72h"
    final = "1 month"

A bad file is refused with the line and the field at fault, like the escalation policy file.
"""

from __future__ import annotations

import calendar
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from puente.i18n import N_, Moment, Phrase, _, gettext
from puente.services.errors import InvalidInput
from puente.services.escalation.policies import (
    OperatorFile,
    Policy,
    Problems,
    located,
    make_steps,
    validation_problems,
)
from puente.services.vocabularies import taxonomy
from puente.services.vocabularies.countries import country_code
from puente.storage.clocks import RegulatoryFiling
from puente.storage.models import Ticket


class ClockError(InvalidInput):
    """The clocks file cannot be used; the message names the file, the line and the field."""


@dataclass(frozen=True, slots=True)
class Stage:
    key: str  # as typed in `/incident filed INC-… early-warning`
    name: str  # in English, as the catalogues know it
    remind_before: timedelta

    @property
    def said(self) -> str:
        """The stage's name in the reader's language."""
        return gettext(self.name)


STAGES = (
    Stage("early-warning", N_("early warning"), timedelta(hours=2)),
    Stage("notification", N_("incident notification"), timedelta(hours=2)),
    Stage("final", N_("final report"), timedelta(days=1)),
)
STAGE_KEYS = tuple(stage.key for stage in STAGES)

_DURATION = re.compile(r"^\s*(\d{1,4})\s*(h|hours?|d|days?|months?)\s*$", re.IGNORECASE)


def _duration(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError('a duration is hours, days or months, e.g. "24h", "3d" or "1 month"')
    return value.strip()


def _country(value: str) -> str:
    try:
        return country_code(value)
    except InvalidInput as error:
        raise ValueError(str(error)) from None


def _sector(value: str) -> str:
    try:
        return taxonomy.sector(value)
    except InvalidInput as error:
        raise ValueError(str(error)) from None


Duration = Annotated[str, AfterValidator(_duration)]


class ClockSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(default="", max_length=100)
    countries: tuple[Annotated[str, AfterValidator(_country)], ...] | None = None
    sectors: tuple[Annotated[str, AfterValidator(_sector)], ...] | None = None
    early_warning: Duration | None = Field(default=None, alias="early-warning")
    notification: Duration | None = None
    final: Duration | None = None

    def applies_to(self, ticket: Ticket) -> bool:
        return (self.countries is None or bool(set(self.countries) & set(ticket.countries))) and (
            self.sectors is None or bool(set(self.sectors) & set(ticket.sectors))
        )

    def duration_of(self, stage: Stage) -> str | None:
        return {"early-warning": self.early_warning, "notification": self.notification, "final": self.final}[stage.key]


class ClockFile(BaseModel):
    # Its validator is built when a clock file is first read, not at import: most commands read none.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    clocks: list[ClockSet] = Field(default_factory=list)


BUILT_IN = ClockSet.model_validate(
    {"name": N_("built-in (NIS2-style)"), "early-warning": "24h", "notification": "72h", "final": "1 month"}
)

REMINDER_POLICY = Policy(repeat=1, steps=make_steps(("owner", True, 0)))
REMINDER_TO_LEADS = Policy(repeat=1, steps=make_steps(("role", "lead", 0)))


def _known_fields(location: tuple[Any, ...]) -> str:
    return "a clock set has name, countries, sectors, " + ", ".join(STAGE_KEYS) + " (the file: [[clocks]] tables)"


def parse_clocks(text: str, source: str) -> list[ClockSet]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ClockError(_("{source}: not valid TOML: {error}").format(source=source, error=error)) from None
    try:
        return ClockFile.model_validate(data).clocks
    except ValidationError as error:
        problems: Problems = validation_problems(error, _known_fields)
        raise ClockError(located(text, source, problems)) from None


_clock_file = OperatorFile[list[ClockSet]]("PUENTE_REGULATORY_CLOCKS", parse_clocks, ClockError)


def load_clocks(path: Path | None) -> list[ClockSet]:
    """The clock sets of the file (re-read when it changes), before the built-in one."""
    return [] if path is None else _clock_file.load(path)


def longest(path: Path | None) -> timedelta:
    """The longest any clock runs after awareness, under any clock set in force."""
    aware = datetime(2000, 1, 31)  # a month's end: "1 month" at its longest
    return max(
        (
            _after(aware, duration) - aware
            for clock_set in (*load_clocks(path), BUILT_IN)
            for stage in STAGES
            if (duration := clock_set.duration_of(stage)) is not None
        ),
        default=timedelta(0),
    )


def clock_set_for(path: Path | None, ticket: Ticket) -> ClockSet:
    return next((found for found in load_clocks(path) if found.applies_to(ticket)), BUILT_IN)


def _after(aware: datetime, duration: str) -> datetime:
    match = _DURATION.match(duration)
    assert match is not None, "validated when the file was read"
    amount, unit = int(match.group(1)), match.group(2).lower()
    if unit.startswith("h"):
        return aware + timedelta(hours=amount)
    if unit.startswith("d"):
        return aware + timedelta(days=amount)
    months = aware.month - 1 + amount
    year, month = aware.year + months // 12, months % 12 + 1
    return aware.replace(year=year, month=month, day=min(aware.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class Clock:
    """One running (or stopped) regulatory clock of a ticket."""

    stage: Stage
    due: datetime
    after: str  # "24 h", "1 month"
    source: str  # the clock set's name
    filed: RegulatoryFiling | None

    @property
    def key(self) -> str:
        return f"deadline:{self.stage.key}"

    @property
    def lasting(self) -> Phrase:
        """How long after awareness it runs, as the reader says it: "24 h", "3 días", "1 mois"."""
        match = _DURATION.match(self.after)
        assert match is not None, "validated when the clock set was read"
        amount, unit = match.group(1), match.group(2).lower()
        if unit.startswith("h"):
            return Phrase(N_("{count} h"), {"count": amount})
        if unit.startswith("d"):
            return Phrase(N_("1 day") if amount == "1" else N_("{count} days"), {"count": amount})
        return Phrase(N_("1 month") if amount == "1" else N_("{count} months"), {"count": amount})

    @property
    def set_name(self) -> str:
        """The clock set's name as the reader reads it: the built-in set's in their language, an operator's
        as they wrote it."""
        return gettext(self.source)

    def state(self, now: datetime) -> str:
        if self.filed is not None:
            if self.filed.filed_at > self.due:
                said = _("filed (late) by {name}").format(name=self.filed.filed_by)
            else:
                said = _("filed by {name}").format(name=self.filed.filed_by)
            return said + (
                ", " + _("ref {reference}").format(reference=self.filed.reference) if self.filed.reference else ""
            )
        if self.due <= now:
            return _("OVERDUE")
        return _("due soon") if self.due - self.stage.remind_before <= now else _("running")


def clocks(path: Path | None, ticket: Ticket, filings: dict[str, RegulatoryFiling]) -> list[Clock]:
    chosen = clock_set_for(path, ticket)
    found = []
    for stage in STAGES:
        duration = chosen.duration_of(stage)
        if duration is not None:
            due = _after(ticket.aware_at, duration)
            after = re.sub(r"(\d)\s*([a-zA-Z])", r"\1 \2", duration)  # "24h" -> "24 h"
            found.append(Clock(stage, due, after, chosen.name or "clock set", filings.get(stage.key)))
    return found


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder page to raise: its key on the ticket, what it says and when it fires."""

    key: str
    summary: Phrase
    fire_at: datetime


def reminders_ahead(all_clocks: list[Clock], ticket: Ticket, now: datetime, taken: set[str | None]) -> list[Reminder]:
    """The reminders of the clocks not filed, but for those whose key is `taken` (already raised). A clock
    already overdue (awareness long before the ticket was opened) is reminded at once."""
    reminders = []
    for clock in all_clocks:
        if clock.filed is not None or clock.key in taken:
            continue
        summary = Phrase(
            N_(
                "{overdue}{stage} due {due} ({after} after awareness at {aware})."
                " Once filed: /incident filed {reference} {key} [ref=…]"
            ),
            {
                "overdue": Phrase(N_("OVERDUE: ")) if clock.due <= now else "",
                "stage": Phrase(clock.stage.name),
                "due": Moment(clock.due, year=True),
                "after": clock.lasting,
                "aware": Moment(ticket.aware_at, year=True),
                "reference": ticket.reference,
                "key": clock.stage.key,
            },
        )
        reminders.append(Reminder(clock.key, summary, max(now, clock.due - clock.stage.remind_before)))
    return reminders
