"""The /incident subcommands: each handler module declares its own, the core looks them up here."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from puente import i18n
from puente.bot.commands import Arguments, Command
from puente.bot.replies import Reply
from puente.i18n import Text
from puente.services.context import Context
from puente.services.vocabularies import aliases


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
    # The option keys of the other languages (key -> field), which the registry fills in from its words.
    translated_options: Mapping[str, str] = field(default_factory=dict)

    def option_field(self, key: str) -> str | None:
        """The field an option key sets, in any language."""
        return self.options.get(key) or self.translated_options.get(key)


class Registry:
    """The subcommands by every name they answer to: English, their aliases, and their words in each
    language (`words`: English name -> language -> words; `option_words`: option field -> language -> keys)."""

    def __init__(
        self,
        subcommands: Iterable[Subcommand] = (),
        words: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
        option_words: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
    ) -> None:
        self._by_name: dict[str, Subcommand] = {}
        self._languages: dict[str, set[str]] = {}  # name -> the languages it is a word of
        self._ordered: list[Subcommand] = []
        self._words = words or {}
        self._option_words = option_words or {}
        for subcommand in subcommands:
            self.add(subcommand)

    def add(self, subcommand: Subcommand) -> None:
        for name in (subcommand.name, *subcommand.aliases):
            if name in self._by_name:
                raise ValueError(f"subcommand {name!r} registered twice")
            self._by_name[name] = subcommand
            self._languages[name] = {i18n.DEFAULT_LANGUAGE}
        for language, said in self._words.get(subcommand.name, {}).items():
            for word in said:
                if self._by_name.setdefault(word, subcommand) is not subcommand:
                    raise ValueError(f"{word!r} names two subcommands")
                self._languages.setdefault(word, set()).add(language)
        translated = {
            key: field_name
            for field_name in set(subcommand.options.values())
            for keys in self._option_words.get(field_name, {}).values()
            for key in keys
            if key not in subcommand.options
        }
        if translated:
            subcommand = replace(subcommand, translated_options=translated)
            for name, found in self._by_name.items():
                if found.name == subcommand.name:
                    self._by_name[name] = subcommand
        self._ordered.append(subcommand)

    def find(self, name: str) -> Subcommand | None:
        """The subcommand a typed word names, in any language, accents or not (`résoudre`, `resoudre`)."""
        return self._by_name.get(name) or self._by_name.get(aliases.fold(name))

    def suggest(self, name: str) -> list[str]:
        """Names close to a mistyped one, in English and in the reader's language."""
        reader = i18n.current()
        names = [word for word, spoken in self._languages.items() if spoken & {i18n.DEFAULT_LANGUAGE, reader}]
        return difflib.get_close_matches(aliases.fold(name), names, n=2, cutoff=0.5)

    def local_name(self, subcommand: Subcommand) -> str:
        """What the reader calls a subcommand: its first word in their language, else its English name."""
        said = self._words.get(subcommand.name, {}).get(i18n.current(), ())
        return said[0] if said else subcommand.name

    def words_of(self, subcommand: Subcommand) -> list[str]:
        """Every other name the subcommand answers to (its aliases, then its words in each language)."""
        said = [*subcommand.aliases]
        for words in self._words.get(subcommand.name, {}).values():
            said += [word for word in words if word not in said]
        return said

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._ordered)

    def names(self) -> list[str]:
        """The English names and the reader's own words (what the console completes)."""
        reader = i18n.current()
        return [s.name for s in self._ordered] + [
            word for s in self._ordered for word in self._words.get(s.name, {}).get(reader, ())
        ]
