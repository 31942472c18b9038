"""Assistance messages held until the one they follow arrives. Only taking in a peer's messages uses this
table: a command that shows a ticket never maps it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint, and_, or_
from sqlmodel import Field, Session, col, select

from puente.storage.assistance import AssistanceRequest
from puente.storage.types import Table, utc_field


class HeldMessage(Table, table=True):
    """A peer's message that arrived before one it follows (its RFA, or an earlier message of the same
    request): kept, and applied once the one before it is."""

    __tablename__ = "assistance_held_messages"
    __table_args__ = (UniqueConstraint("peer_id", "note_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    peer_id: int = Field(foreign_key="peers.id")
    request_id: str = Field(max_length=64, index=True)
    sequence: int | None = None
    note_id: str = Field(max_length=64)
    version: str = Field(max_length=40)
    note: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = utc_field(nullable=False)


def held_for(session: Session, peer_id: int, request_id: str) -> list[HeldMessage]:
    statement = select(HeldMessage).where(HeldMessage.peer_id == peer_id, HeldMessage.request_id == request_id)
    return sorted(session.exec(statement), key=lambda h: (h.sequence is None, h.sequence or 0, h.id or 0))


def held_beyond_use(
    session: Session, closed_state: str, received_before: datetime
) -> list[tuple[HeldMessage, AssistanceRequest | None]]:
    """Held messages that can no longer apply, with their request if it arrived: the request is in
    `closed_state`, or the message was held since `received_before` or earlier."""
    statement = (
        select(HeldMessage, AssistanceRequest)
        .join(
            AssistanceRequest,
            and_(
                col(AssistanceRequest.peer_id) == col(HeldMessage.peer_id),
                col(AssistanceRequest.request_id) == col(HeldMessage.request_id),
            ),
            isouter=True,
        )
        .where(or_(col(AssistanceRequest.state) == closed_state, col(HeldMessage.received_at) <= received_before))
        .order_by(col(HeldMessage.id))
    )
    return [(held, row) for held, row in session.exec(statement)]
