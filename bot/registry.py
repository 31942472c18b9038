"""The /incident subcommands: each handler module declares its own, the core looks them up here."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from puente.bot.commands import Arguments, Command
from puente.bot.replies import Reply
from puente.i18n import Text
from puente.services.context import Context


@dataclass(slots=True)
class Invocation:
    """Everything a handler gets: the unit of work, what was typed, and its parsed arguments."""

    ctx: Context
    command: Command
    args: Arguments
    registry: Registry


Handler = Callable[[Invocation], Reply]


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One /incident subcommand; `summary` and `details` read in the language of whoever asks for help."""

    name: str
    usage: str
    summary: Text
    handler: Handler
    options: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    details: Text = ""
    parses_options: bool = True


class Registry:
    def __init__(self, subcommands: Iterable[Subcommand] = ()) -> None:
        self._by_name: dict[str, Subcommand] = {}
        self._ordered: list[Subcommand] = []
        for subcommand in subcommands:
            self.add(subcommand)

    def add(self, subcommand: Subcommand) -> None:
        for name in (subcommand.name, *subcommand.aliases):
            if name in self._by_name:
                raise ValueError(f"subcommand {name!r} registered twice")
            self._by_name[name] = subcommand
        self._ordered.append(subcommand)

    def find(self, name: str) -> Subcommand | None:
        return self._by_name.get(name)

    def suggest(self, name: str) -> list[str]:
        return difflib.get_close_matches(name, list(self._by_name), n=2, cutoff=0.5)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._ordered)

    def names(self) -> list[str]:
        return [s.name for s in self._ordered]
