"""The reader's language: what Puente says comes from gettext catalogues, in the language of whoever reads it.

Text is written in English in the code, marked for the catalogues and translated when it is said:

    _("Unknown ticket {reference}.").format(reference=reference)
    ngettext("{count} page", "{count} pages", count).format(count=count)
    SUMMARY = lazy_gettext("Open a ticket.")   # defined at import time, translated each time it is read

Whose language that is lives in a context variable, set around the work done for one reader
(`with language("es"): …`): the command core sets it for the person who typed, the workers for
the person they page. Placeholders are named (`{reference}`), so a translation may move them.

The catalogues are the .po files under locale/LANG/LC_MESSAGES (puente.po: the command core, handlers
and domains; adapters.po: Slack, Telegram, console, web view, command line, reports), compiled in memory
by Babel when a language is first read: nothing generated is kept in the repository, and no build step
can forget them.
`make catalogues` extracts the messages again after the code changes.
"""

from __future__ import annotations

import gettext as gnu_gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from puente.settings import DEFAULT_LANGUAGE, LANGUAGES

DOMAIN = "puente"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# The CLDR locale each language is read in: Puente's Portuguese is Brazil's.
LOCALES = {"en": "en", "es": "es", "pt": "pt_BR", "fr": "fr"}
# What each language is called, in that language (for choosing one).
NAMES = {"en": "English", "es": "español", "pt": "português", "fr": "français"}

_reader: ContextVar[str] = ContextVar("puente_reader_language", default=DEFAULT_LANGUAGE)


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
def language(code: str | None) -> Iterator[str]:
    """Say everything inside in `code` (a language Puente speaks; anything else means the default)."""
    chosen = supported(code) or DEFAULT_LANGUAGE
    token = _reader.set(chosen)
    try:
        yield chosen
    finally:
        _reader.reset(token)


def switch(code: str) -> str:
    """Say the rest of the work in `code`, up to the end of the `language` block around it (once the
    person who typed a command is known: until then their platform's hint was all there was)."""
    chosen = supported(code) or DEFAULT_LANGUAGE
    _reader.set(chosen)
    return chosen


@cache
def translations(code: str) -> gnu_gettext.GNUTranslations:
    """One language's catalogues (the command core's and the adapters'), compiled into one the first time
    the language is needed."""
    catalog = Catalog(locale=LOCALES[code], domain=DOMAIN)
    for path in sorted((LOCALE_DIR / code / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po:
            for message in read_po(po, locale=LOCALES[code]):
                if message.id:
                    catalog[message.id] = message
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gnu_gettext.GNUTranslations(compiled)


def gettext(message: str) -> str:
    """`message` in the reader's language (English when the catalogue has no translation for it)."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message that goes with `count`, by the reader's language's plural rule
    (French and Brazilian Portuguese say "0 page", English and Spanish "0 pages")."""
    return translations(current()).ngettext(singular, plural, count)


_ = gettext


class LazyText:
    """Text fixed at import time (a subcommand's summary, a button's label), translated each time it is
    read, so it reads in the language of whoever reads it then. Use it as text: str(), f-strings, format."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __str__(self) -> str:
        return gettext(self.message)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"lazy_gettext({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyText) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)


def lazy_gettext(message: str) -> LazyText:
    return LazyText(message)


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


def format_datetime(moment: datetime, zone: str | tzinfo | None = None, *, year: bool = False) -> str:
    """A moment as the reader reads it: in their time zone (UTC when unknown), weekday, day, month and
    time in their language's words and order, then the zone ("Mon, Mar 2, 09:00 -05", "lun, 2 mar, 9:00 -05",
    "seg., 2 de mar. 09:00 -05")."""
    where = zone if isinstance(zone, tzinfo) else zone_of(zone)
    local = moment.astimezone(where)
    reader = locale()
    day = format_skeleton("yMMMEd" if year else "MMMEd", local, tzinfo=where, locale=reader)
    time = format_skeleton("Hm", local, tzinfo=where, locale=reader)
    # CLDR's pattern joining a date and a time: {1} is the date, {0} the time.
    return f"{str(reader.datetime_formats['medium']).format(time, day)} {local.tzname()}"
