"""Pressable buttons kept server-side: chat platforms that carry only a short token per button
(Telegram's 64-byte `callback_data`) look the button up here when it is pressed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, delete
from sqlmodel import Field, Session, SQLModel, col, select

from storage.types import UTCDateTime


class PendingButton(SQLModel, table=True):
    """What pressing a button does: run `command`, after `confirm` or a pick among `choices`."""

    __tablename__ = "pending_buttons"

    token: str = Field(primary_key=True, max_length=32)
    command: str
    confirm: str | None = None
    choices: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


def add(session: Session, button: PendingButton) -> None:
    session.add(button)


def by_token(session: Session, token: str) -> PendingButton | None:
    return session.exec(select(PendingButton).where(PendingButton.token == token)).first()


def delete_expired(session: Session, now: datetime) -> int:
    """Forget buttons nobody can press any more; returns how many."""
    result = session.execute(delete(PendingButton).where(col(PendingButton.expires_at) < now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
