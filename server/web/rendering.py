"""Pages as HTML: one Jinja environment (autoescaping everything), the security headers every page
carries, and how text, times and countdowns read in the reader's language.

Templates say their text through the catalogues: `_("Tickets")`, `_("{name} ({role})", name=…, role=…)`,
`ngettext("{count} ticket found", "{count} tickets found", total)`; codes read through `words`. Babel's Jinja
extractor finds those calls (`make catalogues`, web.po); tests/test_catalogues.py fails on template text
outside them. The language is the one set around the rendering (`i18n.language`, see session.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from puente import i18n
from puente.i18n import Written
from puente.services.vocabularies import assistance as assistance_words
from puente.services.vocabularies import words
from puente.services.vocabularies.countries import country_name
from puente.services.vocabularies.taxonomy import TLP
from puente.storage.models import User

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

# Nothing is loaded from outside this server, no inline script or style runs, no other site frames a page.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Sign-in links carry their secret in the address: never tell another site where a reader came from.
    "Referrer-Policy": "no-referrer",
    # Every load reads the database again, so a change made in chat shows on the next one.
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# How a duration reads, by its largest unit; countdown.js is given the same three to count down with.
SPANS = {
    "days": i18n.N_("{days} d {hours} h"),
    "hours": i18n.N_("{hours} h {minutes} min {seconds} s"),
    "minutes": i18n.N_("{minutes} min {seconds} s"),
}
LEFT, OVERDUE = i18n.N_("in {span}"), i18n.N_("overdue by {span}")


def say(message: str, /, **values: object) -> str:
    """`message` in the reader's language, its `{placeholders}` filled from `values` (as templates say `_`)."""
    said = i18n.gettext(message)
    return said.format(**values) if values else said


def say_counted(singular: str, plural: str, count: int, /, **values: object) -> str:
    """The form that goes with `count` (which fills `{count}`), as templates say `ngettext`."""
    return i18n.ngettext(singular, plural, count).format(count=count, **values)


def span(seconds: float) -> str:
    """A duration as a reader scans it: 2 d 3 h, 3 h 12 min 05 s, 12 min 05 s (2 j 3 h in French)."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return say(SPANS["days"], days=days, hours=hours)
    if hours:
        return say(SPANS["hours"], hours=hours, minutes=f"{minutes:02d}", seconds=f"{secs:02d}")
    return say(SPANS["minutes"], minutes=minutes, seconds=f"{secs:02d}")


def countdown(moment: datetime, now: datetime) -> str:
    left = (moment - now).total_seconds()
    return say(LEFT if left >= 0 else OVERDUE, span=span(left))


def when(moment: datetime | None) -> str:
    """A moment in the reader's zone and their language's format (empty when there is none)."""
    return i18n.format_datetime(moment, year=True) if moment else ""


def written(text: str, language: str | None) -> str:
    """Free text as its writer wrote it, led by its language when that is not the reader's."""
    return str(Written(text, language))


def html_language() -> str:
    """The page's language as HTML names it (BCP 47): en, es, pt-BR, fr."""
    return i18n.LOCALES[i18n.current()].replace("_", "-")


_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.globals.update(
    _=say,
    ngettext=say_counted,
    words=words,
    assistance_words=assistance_words,
    country_name=country_name,
    tlp_label=lambda code: TLP(code).label,
    when=when,
    countdown=countdown,
    written=written,
    spans=SPANS,
    left=LEFT,
    overdue=OVERDUE,
)


def render(
    template: str, reader: User | None, values: Mapping[str, Any], *, status: int = 200, active: str = ""
) -> HTMLResponse:
    """A page for `reader` (None before sign-in) in the language set around it, with the security headers
    every page carries."""
    html = _environment.get_template(template).render(reader=reader, active=active, language=html_language(), **values)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
