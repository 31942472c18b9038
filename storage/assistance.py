"""Assistance requests between peer CSIRTs and the messages of each, as both sides record them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, col, select

from puente.storage.types import Table, utc_field


class AssistanceRequest(Table, table=True):
    """One request for assistance; `direction` says whether we asked (outbound) or were asked (inbound)."""

    __tablename__ = "assistance_requests"
    __table_args__ = (UniqueConstraint("peer_id", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(max_length=64, index=True)
    direction: str = Field(max_length=8)
    peer_id: int = Field(foreign_key="peers.id", index=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    requester_reference: str = Field(max_length=32)
    responder_reference: str | None = Field(default=None, max_length=32)
    incident_id: str = Field(max_length=64)
    note_id: str = Field(max_length=64)
    actions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    text: str = ""
    language: str | None = Field(default=None, max_length=35)  # what `text` was written in (es, pt-BR)
    severity: str = Field(max_length=16)
    tlp: str = Field(max_length=16)
    state: str = Field(max_length=16, index=True)
    reason: str | None = Field(default=None, max_length=64)
    deadline: datetime | None = utc_field(nullable=True)
    ack_due_at: datetime | None = utc_field(nullable=True, index=True)
    ack_resent: bool = False
    # A request we forwarded to a third CSIRT (inbound, ours): where it went, that request's reference and state,
    # as the requester sees them too. `forwarded_from` marks our own request to the third CSIRT (the row it came from).
    forwarded_to: str | None = Field(default=None, max_length=64)
    forwarded_reference: str | None = Field(default=None, max_length=32)
    forwarded_state: str | None = Field(default=None, max_length=16)
    forwarded_from: int | None = None
    # Each side numbers its own messages on the request from 1 (the RFA is the requester's 1): what we
    # last sent, and the peer's last one we applied, so its messages apply in the order it made them.
    sent_sequence: int = 0
    received_sequence: int = 0
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)


class AssistanceMessage(Table, table=True):
    """One protocol message sent or received about a request (the note that carried it)."""

    __tablename__ = "assistance_messages"

    id: int | None = Field(default=None, primary_key=True)
    request_row_id: int = Field(foreign_key="assistance_requests.id", index=True)
    direction: str = Field(max_length=8)
    type: str = Field(max_length=16)
    note_id: str = Field(max_length=64)
    author: str = Field(max_length=128)
    text: str = ""
    language: str | None = Field(default=None, max_length=35)  # what `text` was written in (es, pt-BR)
    reason: str | None = Field(default=None, max_length=64)
    at: datetime = utc_field(nullable=False)


def by_request_id(session: Session, peer_id: int, request_id: str) -> AssistanceRequest | None:
    statement = select(AssistanceRequest).where(
        AssistanceRequest.peer_id == peer_id, AssistanceRequest.request_id == request_id
    )
    return session.exec(statement).first()


def of_ticket(session: Session, ticket_id: int) -> list[AssistanceRequest]:
    statement = (
        select(AssistanceRequest).where(AssistanceRequest.ticket_id == ticket_id).order_by(col(AssistanceRequest.id))
    )
    return list(session.exec(statement))


def in_states(session: Session, states: list[str], direction: str | None = None) -> list[AssistanceRequest]:
    statement = select(AssistanceRequest).where(col(AssistanceRequest.state).in_(states))
    if direction is not None:
        statement = statement.where(AssistanceRequest.direction == direction)
    return list(session.exec(statement.order_by(col(AssistanceRequest.id))))


def messages(session: Session, request_row_id: int) -> list[AssistanceMessage]:
    statement = (
        select(AssistanceMessage)
        .where(AssistanceMessage.request_row_id == request_row_id)
        .order_by(col(AssistanceMessage.id))
    )
    return list(session.exec(statement))


def of_peer(session: Session, peer_id: int) -> list[AssistanceRequest]:
    return list(session.exec(select(AssistanceRequest).where(AssistanceRequest.peer_id == peer_id)))
