"""The reader's language: what Puente says comes from gettext catalogues, in the language of whoever reads it.

Text is written in English in the code, marked for the catalogues and translated when it is said:

    _("Unknown ticket {reference}.").format(reference=reference)
    ngettext("{count} page", "{count} pages", count).format(count=count)
    SUMMARY = lazy_gettext("Open a ticket.")   # defined at import time, translated each time it is read

Whose language that is lives in a context variable, set around the work done for one reader
(`with language("es"): …`): the command core sets it for the person who typed, the workers for
the person they page. Placeholders are named (`{reference}`), so a translation may move them.

The catalogues are the .po files under locale/LANG/LC_MESSAGES (puente.po: the command core, handlers
and domains; adapters.po: Slack, Telegram, console, command line; web.po: the web view and reports; each
message in one of them only, see catalogues.py), compiled by Babel when a language is first read:
nothing generated is kept in the repository, and no build step can forget them. A command line process
keeps what it compiled in the deployment's PUENTE_VAR_DIR (`keep_compiled_in`), so the next one-shot
`puente say` reads it instead of parsing the .po files again.
`make catalogues` extracts the messages again after the code changes.
"""

from __future__ import annotations

import gettext as gnu_gettext
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list

from puente.settings import DEFAULT_LANGUAGE, LANGUAGES

DOMAIN = "puente"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# The CLDR locale each language is read in: Puente's Portuguese is Brazil's.
LOCALES = {"en": "en", "es": "es", "pt": "pt_BR", "fr": "fr"}
# What each language is called, in that language (for choosing one).
NAMES = {"en": "English", "es": "español", "pt": "português", "fr": "français"}

# Where compiled catalogues are kept between processes; None: compiled in memory by every process.
_kept_in: Path | None = None

_reader: ContextVar[str] = ContextVar("puente_reader_language", default=DEFAULT_LANGUAGE)
# The reader's IANA time zone; None reads UTC.
_zone: ContextVar[str | None] = ContextVar("puente_reader_zone", default=None)


def supported(tag: str | None) -> str | None:
    """The language Puente speaks for a language tag, or None: "es", "es-419", "pt_BR", "fr-CA" and a
    Slack locale such as "es-LA" all name one of LANGUAGES by their first part."""
    if not tag:
        return None
    code = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return code if code in LANGUAGES else None


def choose(stored: str | None, hint: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The language a person reads: the one stored for them, else the one their chat platform says they
    use (a Slack user's locale, a Telegram user's language_code), else the deployment's PUENTE_LANGUAGE."""
    return supported(stored) or supported(hint) or supported(default) or DEFAULT_LANGUAGE


def current() -> str:
    """The language of whoever is being answered now."""
    return _reader.get()


@contextmanager
def language(code: str | None, zone: str | None = None) -> Iterator[str]:
    """Say everything inside in `code` (a language Puente speaks; anything else means the default), and
    moments in `zone` (UTC when None) where no zone is given."""
    chosen = supported(code) or DEFAULT_LANGUAGE
    token, zone_token = _reader.set(chosen), _zone.set(zone)
    try:
        yield chosen
    finally:
        _reader.reset(token)
        _zone.reset(zone_token)


def switch(code: str, zone: str | None = None) -> str:
    """Say the rest of the work in `code`, and moments in `zone`, up to the end of the `language` block around
    it (once the person who typed a command is known: until then their platform's hint was all there was)."""
    chosen = supported(code) or DEFAULT_LANGUAGE
    _reader.set(chosen)
    _zone.set(zone)
    return chosen


def keep_compiled_in(folder: Path) -> None:
    """Keep each language's compiled catalogue in `folder` (and read it from there), named by what its .po
    files hold, so a changed .po file is compiled again."""
    global _kept_in
    _kept_in = folder


@cache
def translations(code: str) -> gnu_gettext.GNUTranslations:
    """One language's catalogues (the command core's, the adapters' and the web view's), compiled into one
    the first time the language is needed, or read as a process compiled them before."""
    sources = [path.read_bytes() for path in sorted((LOCALE_DIR / code / "LC_MESSAGES").glob("*.po"))]
    if _kept_in is None:
        return gnu_gettext.GNUTranslations(BytesIO(_compiled(code, sources)))
    digest = hashlib.sha256(b"".join(sources)).hexdigest()[:16]
    kept = _kept_in / f"{code}-{digest}.mo"
    try:
        return gnu_gettext.GNUTranslations(BytesIO(kept.read_bytes()))
    except OSError:  # not compiled yet (or not readable as a catalogue): compiled again below
        pass
    compiled = _compiled(code, sources)
    try:
        _kept_in.mkdir(parents=True, exist_ok=True)
        for earlier in _kept_in.glob(f"{code}-*.mo"):  # compiled from .po files since changed
            earlier.unlink(missing_ok=True)
        # Written whole, then renamed: a process reading it at the same time sees all of it or none.
        partial = kept.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(compiled)
        partial.replace(kept)
    except OSError:  # a folder it may not write to: every process compiles the catalogue, as without one
        pass
    return gnu_gettext.GNUTranslations(BytesIO(compiled))


def _compiled(code: str, sources: list[bytes]) -> bytes:
    # Imported here: Babel's catalogue reader and writer are needed only when a .po file changed.
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = Catalog(locale=LOCALES[code], domain=DOMAIN)
    for source in sources:
        for message in read_po(BytesIO(source), locale=LOCALES[code]):
            if message.id:
                catalog[message.id] = message
    compiled = BytesIO()
    write_mo(compiled, catalog)
    return compiled.getvalue()


def gettext(message: str) -> str:
    """`message` in the reader's language (English when the catalogue has no translation for it)."""
    return translations(current()).gettext(message)


def pgettext(context: str, message: str) -> str:
    """`message` in the reader's language as `context` means it: a code word such as "high" is a
    severity in one place and something else in another."""
    return translations(current()).pgettext(context, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message that goes with `count`, by the reader's language's plural rule
    (French and Brazilian Portuguese say "0 page", English and Spanish "0 pages")."""
    return translations(current()).ngettext(singular, plural, count)


_ = gettext


class LazyText:
    """Text fixed at import time (a subcommand's summary, a button's label), translated each time it is
    read, so it reads in the language of whoever reads it then; `values` fill its placeholders then.
    Use it as text: str(), f-strings, format."""

    __slots__ = ("context", "message", "values")

    def __init__(self, message: str, context: str | None = None, values: dict[str, object] | None = None) -> None:
        self.message = message
        self.context = context
        self.values = values or {}

    def __str__(self) -> str:
        said = gettext(self.message) if self.context is None else pgettext(self.context, self.message)
        return said.format(**self.values) if self.values else said

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"LazyText({self.message!r}, {self.context!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyText) and (other.message, other.context) == (self.message, self.context)

    def __hash__(self) -> int:
        return hash((self.message, self.context))


def lazy_gettext(message: str, **values: object) -> LazyText:
    return LazyText(message, values=values)


def lazy_pgettext(context: str, message: str) -> LazyText:
    return LazyText(message, context)


# Text as a reader reads it: already in their language, or translated when it is read.
Text = str | LazyText


def locale() -> Locale:
    """The reader's CLDR locale (for formatting numbers, dates, lists)."""
    return Locale.parse(LOCALES[current()])


def either(words: list[str]) -> str:
    """Alternatives as the reader says them: "new or next", "nuevo o next", "nouveau ou next"."""
    return format_list(words, style="or", locale=locale())


def listing(words: list[str]) -> str:
    """Several things as the reader lists them: "BR, AR and MX", "BR, AR y MX", "BR, AR et MX"."""
    return format_list(words, locale=locale())


def zone_of(name: str | None) -> tzinfo:
    """A person's IANA time zone, or UTC when they gave none (or it is no longer known)."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def format_datetime(
    moment: datetime, zone: str | tzinfo | None = None, *, year: bool = False, seconds: bool = False
) -> str:
    """A moment as the reader reads it: in `zone`, else the reader's (UTC when unknown), weekday, day, month and
    time in their language's words and order, then the zone ("Mon, Mar 2, 09:00 -05", "lun, 2 mar, 9:00 -05",
    "seg., 2 de mar. 09:00 -05"); to the second where the order of events within a minute matters (the audit
    timeline)."""
    where = zone if isinstance(zone, tzinfo) else zone_of(zone or _zone.get())
    local = moment.astimezone(where)
    reader = locale()
    day = format_skeleton("yMMMEd" if year else "MMMEd", local, tzinfo=where, locale=reader)
    time = format_skeleton("Hms" if seconds else "Hm", local, tzinfo=where, locale=reader)
    # CLDR's pattern joining a date and a time: {1} is the date, {0} the time.
    return f"{str(reader.datetime_formats['medium']).format(time, day)} {local.tzname()}"


def N_(message: str) -> str:
    """Mark a message for the catalogues where it is stored to be said later (a `Phrase`), untranslated."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message and its plural form for the catalogues, to be said later with a count (`Phrase.counted`)."""
    return singular, plural


@dataclass(frozen=True, slots=True)
class Words:
    """Codes of a vocabulary, read as its words (`Words("action", ("block-host",))` is "bloquear host")."""

    context: str
    codes: tuple[str, ...]

    def __str__(self) -> str:
        return ", ".join(pgettext(self.context, code) for code in self.codes)


@dataclass(frozen=True, slots=True)
class Moment:
    """A moment, read in the reader's zone and format."""

    at: datetime
    year: bool = False

    def __str__(self) -> str:
        return format_datetime(self.at, year=self.year)


@dataclass(frozen=True, slots=True)
class Written:
    """Free text as a person wrote it, read as written, led by the language it was written in (`[es] …`)
    when that is not the reader's: a Brazilian responder knows a Colombian request is Spanish."""

    text: str
    language: str | None = None

    def __str__(self) -> str:
        if self.language and supported(self.language) != current():
            return f"[{self.language}] {self.text}"
        return self.text


@dataclass(frozen=True, slots=True)
class Listed:
    """Several values, read as the reader lists them ("a, b and c", "a, b y c"), or one after the other
    (`sentences`: each is a sentence of its own)."""

    items: tuple[Value, ...]
    sentences: bool = False

    def __str__(self) -> str:
        said = [str(item) for item in self.items]
        return " ".join(said) if self.sentences else listing(said)


Value = Union[str, Words, Moment, Written, Listed, "Phrase"]


@dataclass(frozen=True, slots=True)
class Phrase:
    """Something said now and read later, by whoever reads it then, in their language: a message marked
    with `N_` and its values. It is stored as data (`stored`, `from_stored`), so a page raised by a worker
    reads in Spanish to one person and in Portuguese to another."""

    message: str
    values: dict[str, Value] = field(default_factory=dict)
    # The message's plural form, when it counts something: the value `count` chooses between the two by the
    # reader's language's plural rule (`counted`).
    plural: str | None = None

    @classmethod
    def counted(cls, forms: tuple[str, str], count: int, **values: Value) -> Phrase:
        """A message with a count (`N_plural("{count} note", "{count} notes")`), read in the form its count takes."""
        return cls(forms[0], {"count": str(count), **values}, forms[1])

    def __str__(self) -> str:
        if self.plural is None:
            said = gettext(self.message)
        else:
            said = ngettext(self.message, self.plural, int(str(self.values["count"])))
        return said.format(**{name: str(value) for name, value in self.values.items()})

    def stored(self) -> dict[str, Any]:
        kept = {"message": self.message, "values": {name: stored(value) for name, value in self.values.items()}}
        return kept | ({"plural": self.plural} if self.plural is not None else {})

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> Phrase:
        values = {name: restored(value) for name, value in dict(data["values"]).items()}
        return cls(str(data["message"]), values, data.get("plural"))


def stored(value: Value) -> Any:
    """A value as data (JSON), to be read later in whoever's language reads it then (`restored`)."""
    if isinstance(value, Words):
        return {"words": value.context, "codes": list(value.codes)}
    if isinstance(value, Moment):
        return {"moment": value.at.isoformat(), "year": value.year}
    if isinstance(value, Phrase):
        return {"phrase": value.stored()}
    if isinstance(value, Written):
        return {"written": value.text, "language": value.language}
    if isinstance(value, Listed):
        return {"listed": [stored(item) for item in value.items], "sentences": value.sentences}
    return value


def restored(data: object) -> Value:
    """A value `stored` made, as it was."""
    if isinstance(data, dict):
        if "words" in data:
            return Words(str(data["words"]), tuple(data["codes"]))
        if "moment" in data:
            return Moment(datetime.fromisoformat(str(data["moment"])), bool(data.get("year")))
        if "written" in data:
            return Written(str(data["written"]), data.get("language"))
        if "listed" in data:
            return Listed(tuple(restored(item) for item in data["listed"]), bool(data.get("sentences")))
        return Phrase.from_stored(data["phrase"])
    return str(data)


def in_english(text: Value) -> str:
    """What a Phrase (or any value) says in English: the audit timeline's record of it."""
    with language(DEFAULT_LANGUAGE):
        return str(text)
