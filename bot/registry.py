"""The /incident subcommands: each handler module declares its own, the core looks them up here."""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
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
    language (`words`: English name -> language -> words; `option_words`: option field -> language -> keys),
    in help order.

    A family is a handler module (its `SUBCOMMANDS`) named with the English names and aliases it declares.
    It is imported the first time one of its names or words is looked up, so a one-shot `puente say`
    imports only the handlers it runs and the domains they call; listing the subcommands (help,
    completion) imports every family.
    """

    def __init__(
        self,
        subcommands: Iterable[Subcommand] = (),
        words: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
        option_words: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
        families: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self._by_name: dict[str, Subcommand] = {}
        self._languages: dict[str, set[str]] = {}  # name -> the languages it is a word of
        self._ordered: list[Subcommand] = []
        self._words = words or {}
        self._option_words = option_words or {}
        self._families = {module: frozenset(names) for module, names in (families or {}).items()}
        self._family_of: dict[str, str] = {}  # every name and word of a family not loaded yet -> its module
        self._loaded: dict[str, list[Subcommand]] = {}
        self._loading = threading.Lock()
        for subcommand in subcommands:
            self.add(subcommand)
        for module, names in self._families.items():
            for name in names:
                if name in self._by_name or name in self._family_of:
                    raise ValueError(f"subcommand {name!r} registered twice")
                self._family_of[name] = module
                self._languages[name] = {i18n.DEFAULT_LANGUAGE}
            for name in names:
                for language, said in self._words.get(name, {}).items():
                    for word in said:
                        if self._family_of.setdefault(word, module) != module or word in self._by_name:
                            raise ValueError(f"{word!r} names two subcommands")
                        self._languages.setdefault(word, set()).add(language)

    def add(self, subcommand: Subcommand) -> None:
        self._ordered.append(self._index(subcommand))

    def _index(self, subcommand: Subcommand) -> Subcommand:
        """Look the subcommand up by its names and words from now on; it is returned with the option keys
        of the other languages filled in."""
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
        return subcommand

    def _family(self, module: str) -> list[Subcommand]:
        with self._loading:
            if module not in self._loaded:
                declared: list[Subcommand] = importlib.import_module(module).SUBCOMMANDS
                names = {name for subcommand in declared for name in (subcommand.name, *subcommand.aliases)}
                if names != self._families[module]:
                    raise ValueError(
                        f"{module} declares the subcommands {sorted(names)} but is registered for"
                        f" {sorted(self._families[module])}: list the same names in both places"
                    )
                self._loaded[module] = [self._index(subcommand) for subcommand in declared]
            return self._loaded[module]

    def find(self, name: str) -> Subcommand | None:
        """The subcommand a typed word names, in any language, accents or not (`résoudre`, `resoudre`)."""
        for said in (name, aliases.fold(name)):
            if said not in self._by_name and said in self._family_of:
                self._family(self._family_of[said])
            if said in self._by_name:
                return self._by_name[said]
        return None

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

    def __iter__(self) -> Iterator[Subcommand]:
        return iter([*self._ordered, *(s for module in self._families for s in self._family(module))])

    def names(self) -> list[str]:
        """The English names and the reader's own words (what the console completes)."""
        reader = i18n.current()
        subcommands = list(self)
        return [s.name for s in subcommands] + [
            word for s in subcommands for word in self._words.get(s.name, {}).get(reader, ())
        ]
