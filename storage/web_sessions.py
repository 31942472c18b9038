"""Sign-ins to the web view: a single-use link handed out in chat, and the browser session it opens.

Only digests of the secrets are stored, so a copy of the database opens no session. A row is one
sign-in: the link (until it is used or runs out) and, once used, the session it became.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, select

from puente.storage.types import Table, utc_field


class WebSignIn(Table, table=True):
    __tablename__ = "web_sign_ins"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    link_digest: str = Field(unique=True, max_length=64)
    link_expires_at: datetime = utc_field(nullable=False)
    used_at: datetime | None = utc_field(nullable=True)
    session_digest: str | None = Field(default=None, unique=True, max_length=64)
    session_expires_at: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(nullable=False)


def by_link(session: Session, digest: str) -> WebSignIn | None:
    """The sign-in of a link, locked: two presses of one link cannot both open a session."""
    statement = select(WebSignIn).where(WebSignIn.link_digest == digest).with_for_update()
    return session.exec(statement).first()


def by_session(session: Session, digest: str) -> WebSignIn | None:
    return session.exec(select(WebSignIn).where(WebSignIn.session_digest == digest)).first()
