"""Pressable buttons kept server-side: chat platforms that carry only a short token per button
(Telegram's 64-byte `callback_data`) look the button up here when it is pressed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, delete
from sqlmodel import Field, Session, col, select

from puente.storage.types import Table, UTCDateTime


class PendingButton(Table, table=True):
    """What pressing a button does: run `command`, after asking `question` or a pick among `choices`.

    The question and each choice's label (`{"label": …, "value": …}`) are stored phrases (i18n.Phrase), read
    by whoever presses in their own language."""

    __tablename__ = "pending_buttons"

    token: str = Field(primary_key=True, max_length=32)
    command: str
    question: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    choices: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


def add(session: Session, button: PendingButton) -> None:
    session.add(button)


def by_token(session: Session, token: str) -> PendingButton | None:
    return session.exec(select(PendingButton).where(PendingButton.token == token)).first()


def delete_expired(session: Session, before: datetime, limit: int = 500) -> int:
    """Forget up to `limit` buttons that expired before `before`; returns how many.

    Rows another transaction is already deleting are skipped, so concurrent callers on
    PostgreSQL never wait on (or deadlock with) each other over housekeeping.
    """
    doomed = (
        select(PendingButton.token)
        .where(col(PendingButton.expires_at) < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = session.execute(delete(PendingButton).where(col(PendingButton.token).in_(doomed.scalar_subquery())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
