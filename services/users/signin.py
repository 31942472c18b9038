"""Signing in to the web view without a password: a person known in chat asks for a link there
(`/incident web`), and the link, used once within minutes, opens a browser session that expires.

The link and the session are random secrets handed to the person; only their SHA-256 digests are
kept (storage.web_sessions). Whoever holds a session reads as that user, with that user's role.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from puente.i18n import _, format_datetime, lazy_gettext
from puente.services.context import Context
from puente.services.errors import NotFound, Unauthenticated
from puente.services.users.service import require_role
from puente.storage import users, web_sessions
from puente.storage.models import Role, User
from puente.storage.web_sessions import WebSignIn

LINK_LIFETIME = timedelta(minutes=5)
SESSION_LIFETIME = timedelta(hours=8)
SIGN_IN_PATH = "/signin"
ASK_FOR_A_LINK = lazy_gettext("Ask for a new link in chat with /incident web.")


@dataclass(frozen=True, slots=True)
class SignInLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class WebSession:
    """What the browser keeps (the secret `token`) and until when."""

    token: str
    user: User
    expires_at: datetime


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_link(ctx: Context, user_name: str | None = None) -> SignInLink:
    """A single-use sign-in link, valid for LINK_LIFETIME, for whoever asks (or, from the operator, the named user)."""
    if user_name is None:
        person = require_role(ctx, Role.ONCALL, _("signing in to the web view"))
    elif (found := users.by_name(ctx.session, user_name.strip())) is not None:
        person = found
    else:
        raise NotFound(_("No Puente user {user_name!r}: puente users list shows them.").format(user_name=user_name))
    assert person.id is not None
    token = secrets.token_urlsafe(32)
    now = ctx.now()
    expires = now + LINK_LIFETIME
    ctx.session.add(WebSignIn(user_id=person.id, link_digest=_digest(token), link_expires_at=expires, created_at=now))
    ctx.record(action="web-link", summary=f"web sign-in link for {person.name}, valid until {expires:%H:%M} UTC")
    return SignInLink(f"{ctx.settings.effective_base_url}{SIGN_IN_PATH}?token={token}", expires)


def _usable(ctx: Context, token: str) -> WebSignIn:
    row = web_sessions.by_link(ctx.session, _digest(token)) if token else None
    if row is None:
        raise Unauthenticated(_("This sign-in link is not valid. {ask}").format(ask=ASK_FOR_A_LINK))
    if row.used_at is not None:
        raise Unauthenticated(
            _("This sign-in link was used already; each link works once. {ask}").format(ask=ASK_FOR_A_LINK)
        )
    if row.link_expires_at <= ctx.now():
        raise Unauthenticated(
            _("This sign-in link ran out at {link_expires_at}. {ask}").format(
                link_expires_at=format_datetime(row.link_expires_at), ask=ASK_FOR_A_LINK
            )
        )
    return row


def check_link(ctx: Context, token: str) -> None:
    """Refuse a link that cannot sign in (unknown, used, run out), without using it."""
    _usable(ctx, token)


def redeem(ctx: Context, token: str) -> WebSession:
    """Use a link: it opens a session once, and never again."""
    row = _usable(ctx, token)
    now = ctx.now()
    user = ctx.session.get(User, row.user_id)
    assert user is not None, "removing a user removes their sign-ins"
    session_token = secrets.token_urlsafe(32)
    row.used_at = now
    row.session_digest = _digest(session_token)
    row.session_expires_at = now + SESSION_LIFETIME
    ctx.session.add(row)
    ctx.record(action="web-sign-in", summary=f"{user.name} signed in to the web view")
    return WebSession(session_token, user, row.session_expires_at)


def reader(ctx: Context, session_token: str | None) -> User:
    """The user a browser session belongs to, while it lasts."""
    row = web_sessions.by_session(ctx.session, _digest(session_token)) if session_token else None
    if row is None or row.session_expires_at is None:
        raise Unauthenticated(_("You are not signed in. {ask}").format(ask=ASK_FOR_A_LINK))
    if row.session_expires_at <= ctx.now():
        raise Unauthenticated(
            _("Your session ended at {session_expires_at}. {ask}").format(
                session_expires_at=format_datetime(row.session_expires_at), ask=ASK_FOR_A_LINK
            )
        )
    user = ctx.session.get(User, row.user_id)
    assert user is not None, "removing a user removes their sessions"
    return user
