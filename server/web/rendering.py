"""Pages as HTML: one Jinja environment (autoescaping everything), the security headers every page
carries, and how times and countdowns read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from puente.server.web.texts import t
from puente.storage.models import User

HERE = Path(__file__).parent
STATIC = HERE / "static"

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


def span(seconds: float) -> str:
    """A duration as a reader scans it: 2 d 3 h, 3 h 12 min 05 s, 12 min 05 s."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    return f"{minutes} min {secs:02d} s"


def countdown(moment: datetime, now: datetime) -> str:
    left = (moment - now).total_seconds()
    return t("countdown.left", span=span(left)) if left >= 0 else t("countdown.overdue", span=span(left))


def utc(moment: datetime | None) -> str:
    return t("time.utc", moment=f"{moment:%Y-%m-%d %H:%M}") if moment else ""


_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.globals.update(t=t, utc=utc, countdown=countdown)


def render(
    template: str, reader: User | None, values: Mapping[str, Any], *, status: int = 200, active: str = ""
) -> HTMLResponse:
    """A page for `reader` (None before sign-in), with the security headers every page carries."""
    html = _environment.get_template(template).render(reader=reader, active=active, **values)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
