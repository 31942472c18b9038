"""The `web` command: a single-use link that signs the person in to the read-only web view."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.i18n import _, format_datetime, lazy_gettext
from puente.services.users import signin


def web(call: Invocation) -> Reply:
    link = signin.issue_link(call.ctx)
    minutes = int(signin.LINK_LIFETIME.total_seconds() // 60)
    # The link is a secret: only the person who asked sees it.
    return Reply(
        text=_("Your sign-in link to the web view (works once, for {minutes} minutes, until {until}): {url}").format(
            minutes=minutes, until=format_datetime(link.expires_at), url=link.url
        ),
        private=True,
        secret=True,
    )


SUBCOMMANDS = [
    Subcommand(
        "web",
        "web",
        lazy_gettext("A single-use link that signs you in to the web view."),
        web,
        {},
        details=lazy_gettext(
            "Tickets, requests for assistance, the map, on-call and regulatory clocks, read-only;"
            " you see what your role allows."
        ),
    ),
]
