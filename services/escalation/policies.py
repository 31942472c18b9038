"""Escalation policies: per severity, ordered steps repeated until someone acknowledges.

They live in a TOML file named by PUENTE_ESCALATION_POLICIES (a built-in default otherwise):

    [channels.soc]                  # a chat room a step may page: its address on each platform
    slack = "C0123456789"
    telegram = "-1001234567890"

    [policies.critical]
    repeat = 3                      # run the steps up to 3 times
    [[policies.critical.steps]]
    rotation = "primary"            # or user = "ana", role = "lead", channel = "soc", owner = true
    wait_minutes = 5                # before the next step

    [paging]
    cross_border_from = "medium"    # a ticket affecting another country pages from this severity up
    peer_pages_per_hour = 10        # beyond this, one peer's requests for assistance share one page

    [stale_after_minutes]           # an open ticket with no update this long reminds its owner
    critical = 120
    high = 480
    medium = 4320

A bad file is refused with the line and the field at fault.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    ValidationError,
    model_validator,
)

from puente.i18n import _
from puente.services.errors import InvalidInput
from puente.services.notify import PLATFORM_NAME
from puente.services.vocabularies.taxonomy import Severity
from puente.storage.models import Role

ALL_ROTATIONS = "*"
TARGETS = ("rotation", "user", "role", "channel", "owner")


class PolicyError(InvalidInput):
    """The policy file cannot be used; the message names the file, the line and the field."""


def _platform_name(name: str) -> str:
    if not PLATFORM_NAME.fullmatch(name):
        raise ValueError("a chat platform is named in lower case, e.g. slack or telegram")
    return name


# A platform as its chat adapter names itself ("slack", "telegram"), and the channel's address there.
Platform = Annotated[str, AfterValidator(_platform_name)]
Address = Annotated[str, StringConstraints(min_length=1)]


class Channel(RootModel[dict[Platform, Address]]):
    """A chat room's address by platform, one key per platform: `slack = "C…"`, `telegram = "-100…"`."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _somewhere(self) -> Channel:
        if not self.root:
            raise ValueError('a channel needs slack = "C…" and/or telegram = "-100…"')
        return self

    @property
    def addresses(self) -> dict[str, str]:
        return self.root


class Step(BaseModel):
    """Notify one target, then wait before the next step."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rotation: str | None = Field(default=None, min_length=1)
    user: str | None = Field(default=None, min_length=1)
    role: Role | None = None
    channel: str | None = Field(default=None, min_length=1)
    owner: bool = False
    wait_minutes: int = Field(ge=0, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _one_target(self) -> Step:
        given = [name for name in TARGETS if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(f"a step names exactly one of {', '.join(TARGETS)} (got {', '.join(given) or 'none'})")
        return self

    @property
    def target(self) -> tuple[str, str]:
        """(kind, name): ("rotation", "primary"), ("owner", "ticket owner"), …"""
        for name in TARGETS:
            value = getattr(self, name)
            if value:
                return name, "ticket owner" if name == "owner" else str(value)
        raise AssertionError("validated to have one target")

    def describe(self) -> str:
        kind, name = self.target
        if kind == "rotation":
            who = "on-call of every rotation" if name == ALL_ROTATIONS else f"on-call of rotation {name}"
        elif kind == "owner":
            who = "the ticket's owner"
        elif kind == "role":
            who = f"every {name}"
        else:
            who = f"{kind} {name}"
        return f"{who}, then wait {self.wait_minutes} min"


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    repeat: int = Field(default=1, ge=1, le=50)
    steps: tuple[Step, ...] = Field(min_length=1)


class Paging(BaseModel):
    """What pages beyond the severity policies: cross-border tickets, and how fast one peer may page us."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A ticket affecting a country other than ours pages from this severity up (DESIGN: cross-border pages).
    cross_border_from: Severity = Severity.MEDIUM
    # Requests for assistance from one peer beyond this many pages an hour share one page that lists them.
    peer_pages_per_hour: int = Field(default=10, ge=1, le=10_000)


# After acknowledgement nothing is forgotten: an open ticket with no update for this long reminds its owner.
STALE_AFTER_MINUTES: dict[Severity, int] = {Severity.CRITICAL: 120, Severity.HIGH: 8 * 60, Severity.MEDIUM: 3 * 24 * 60}


class PolicyFile(BaseModel):
    # Its validator is built when a policy file is first read, not at import: most commands read none.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    channels: dict[str, Channel] = Field(default_factory=dict)
    policies: dict[Severity, Policy] = Field(default_factory=dict)
    paging: Paging = Field(default_factory=Paging)
    stale_after_minutes: dict[Severity, Annotated[int, Field(ge=1, le=365 * 24 * 60)]] = Field(default_factory=dict)


def make_steps(*steps: tuple[str, object, int]) -> tuple[Step, ...]:
    """Steps from (target, name, wait_minutes) triples, e.g. ("rotation", "primary", 5)."""
    return tuple(Step.model_validate({kind: name, "wait_minutes": wait}) for kind, name, wait in steps)


# Without a file: the on-call of every rotation first, then the leads; faster and longer for worse incidents.
BUILT_IN: dict[Severity, Policy] = {
    Severity.CRITICAL: Policy(repeat=3, steps=make_steps(("rotation", ALL_ROTATIONS, 5), ("role", "lead", 10))),
    Severity.HIGH: Policy(repeat=2, steps=make_steps(("rotation", ALL_ROTATIONS, 15), ("role", "lead", 30))),
    Severity.MEDIUM: Policy(repeat=1, steps=make_steps(("rotation", ALL_ROTATIONS, 30), ("role", "lead", 60))),
    Severity.LOW: Policy(repeat=1, steps=make_steps(("rotation", ALL_ROTATIONS, 60), ("role", "lead", 60))),
}


@dataclass(frozen=True)
class Policies:
    """The policy for each severity and where it came from (the file, or built-in)."""

    by_severity: dict[Severity, Policy]
    channels: dict[str, Channel]
    source: dict[Severity, str]
    paging: Paging = Paging()
    stale_after_minutes: dict[Severity, int] = field(default_factory=lambda: dict(STALE_AFTER_MINUTES))

    def for_severity(self, severity: Severity | str) -> Policy:
        return self.by_severity[Severity(severity)]

    def stale_after(self, severity: Severity | str) -> timedelta | None:
        """How long a ticket of this severity may go without an update before its owner is reminded."""
        minutes = self.stale_after_minutes.get(Severity(severity))
        return timedelta(minutes=minutes) if minutes else None


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _key_path(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def _lines_of(text: str) -> dict[tuple[Any, ...], int]:
    """Map each table, array entry and key of the file to its line, for pydantic's error locations.

    tomllib reports positions only for syntax errors; this walk covers what the policy format uses
    (tables, arrays of tables, plain and dotted keys).
    """
    where: dict[tuple[Any, ...], int] = {}
    counters: dict[tuple[str, ...], int] = {}
    section: tuple[Any, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            path = _key_path(header.group(2))
            if header.group(1) == "[[":
                counters[path] = counters.get(path, -1) + 1
                section = (*path, counters[path])
            else:
                section = path
            where.setdefault(section, number)
            continue
        key = _KEY.match(line)
        if key and not line.lstrip().startswith("#"):
            where.setdefault((*section, *_key_path(key.group(1))), number)
    return where


def _field_name(location: tuple[Any, ...]) -> str:
    """("policies", "critical", "steps", 1, "user") -> "policies.critical.steps[2].user" (counting from 1)."""
    parts: list[str] = []
    for part in location:
        if isinstance(part, int) and parts:
            parts[-1] += f"[{part + 1}]"
        elif part != "[key]":
            parts.append(str(part))
    return ".".join(parts)


def _line(where: dict[tuple[Any, ...], int], location: tuple[Any, ...]) -> int | None:
    location = tuple(part for part in location if part != "[key]")
    for end in range(len(location), 0, -1):
        if location[:end] in where:
            return where[location[:end]]
    return None


Problems = list[tuple[tuple[Any, ...], str]]


def validation_problems(error: ValidationError, known_fields: Callable[[tuple[Any, ...]], str]) -> Problems:
    """pydantic's errors as (location, message a person can act on); `known_fields` names what may go where."""
    problems: Problems = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] not in ("missing", "extra_forbidden") and not isinstance(item.get("input"), dict):
            message += f" (got {item.get('input')!r})"
        if item["type"] == "extra_forbidden":
            message = "unknown field; " + known_fields(item["loc"])
        problems.append((tuple(item["loc"]), message))
    return problems


def located(text: str, source: str, problems: Problems) -> str:
    """One line per problem: the file, the line and the field at fault, then what is wrong."""
    where = _lines_of(text)
    lines = []
    for location, message in problems:
        line = _line(where, location)
        at = f"line {line}, " if line else ""
        lines.append(f"{source}: {at}{_field_name(location)}: {message}")
    return "\n".join(lines)


def parse_policies(text: str, source: str) -> Policies:
    """Validate a policy file's text; `source` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(_("{source}: not valid TOML: {error}").format(source=source, error=error)) from None
    problems: Problems = []
    try:
        parsed = PolicyFile.model_validate(data)
    except ValidationError as error:
        problems = validation_problems(error, _known_fields)
    else:
        for severity, policy in parsed.policies.items():
            for index, step in enumerate(policy.steps):
                if step.channel and step.channel not in parsed.channels:
                    known = ", ".join(parsed.channels) or "none defined"
                    problems.append(
                        (
                            ("policies", severity.value, "steps", index, "channel"),
                            f"unknown channel {step.channel!r}; define it as "
                            f"[channels.{step.channel}] (channels: {known})",
                        )
                    )
    if problems:
        raise PolicyError(located(text, source, problems))
    by_severity = dict(BUILT_IN)
    sources = {severity: "built-in" for severity in Severity}
    for severity, policy in parsed.policies.items():
        by_severity[severity] = policy
        sources[severity] = source
    stale = {**STALE_AFTER_MINUTES, **parsed.stale_after_minutes}
    return Policies(by_severity, parsed.channels, sources, parsed.paging, stale)


def _known_fields(location: tuple[Any, ...]) -> str:
    names = [part for part in location if isinstance(part, str)]
    if "steps" in names:
        return f"a step has one of {', '.join(TARGETS)}, and wait_minutes"
    if names[:1] == ["policies"] and len(names) == 3:
        return "a policy has repeat and steps"
    if names[:1] == ["policies"] and len(names) == 2:
        return f"policies are named by severity: {', '.join(s.value for s in Severity)}"
    if names[:1] == ["paging"]:
        return "[paging] has cross_border_from and peer_pages_per_hour"
    if names[:1] == ["stale_after_minutes"]:
        return f"[stale_after_minutes] is keyed by severity: {', '.join(s.value for s in Severity)}"
    return "the file has [channels.NAME], [policies.SEVERITY], [paging] and [stale_after_minutes] tables"


T = TypeVar("T")


class OperatorFile(Generic[T]):
    """A file the operator edits while Puente runs: parsed again only when its modification time changes."""

    def __init__(self, setting: str, parse: Callable[[str, str], T], error: type[InvalidInput]) -> None:
        self._setting, self._parse, self._error = setting, parse, error
        self._parsed: dict[tuple[str, int], T] = {}

    def load(self, path: Path) -> T:
        try:
            stamp = (str(path), path.stat().st_mtime_ns)
            if stamp not in self._parsed:
                self._parsed.clear()
                self._parsed[stamp] = self._parse(path.read_text(encoding="utf-8"), str(path))
        except OSError as error:
            raise self._error(f"{self._setting}: cannot read {path}: {error.strerror or error}") from None
        return self._parsed[stamp]


_policy_file = OperatorFile[Policies]("PUENTE_ESCALATION_POLICIES", parse_policies, PolicyError)


def load_policies(path: Path | None) -> Policies:
    """The policies in force: the file's (re-read when it changes) or the built-in ones."""
    if path is None:
        return Policies(dict(BUILT_IN), {}, {severity: "built-in" for severity in Severity})
    return _policy_file.load(path)
