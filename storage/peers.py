"""Peer CSIRTs: their points of contact and TAXII endpoints, and links between their tickets and ours.
What was taken in from them is the inbox's (storage/inbox.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint, and_, delete, or_
from sqlmodel import Field, Session, col, select

from puente.storage.models import Ticket
from puente.storage.types import Table, utc_field


class Peer(Table, table=True):
    """A peer CSIRT: where to push (`collection_id`), optionally where to poll (`pull_collection_id`)."""

    __tablename__ = "peers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=64)
    countries: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    asns: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    taxii_url: str = Field(max_length=500)
    api_root_url: str | None = Field(default=None, max_length=500)
    collection_id: str = Field(max_length=64)
    pull_collection_id: str | None = Field(default=None, max_length=64)
    user: str | None = Field(default=None, max_length=128)
    # Sealed with PUENTE_SECRET_KEY (services/peers/secrets.py), hence no length of the secret's own.
    password: str | None = None
    api_key: str | None = None
    identity_id: str | None = Field(default=None, max_length=64)
    inbox_cursor: datetime | None = utc_field(nullable=True)
    contact: str = ""
    backup_contact: str = ""
    poll_cursor: str | None = Field(default=None, max_length=64)
    polled_at: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(nullable=False)


class TicketLink(Table, table=True):
    """Our ticket and a peer's about the same shared incident: the peer shared it with us, or we with it.

    `sent_through` and `synced_at` say how far the peer has our versions of the ticket's objects (the
    last stored version sent, and when), so that later changes follow it (services/sharing/scheduled.py).
    """

    __tablename__ = "ticket_links"
    __table_args__ = (UniqueConstraint("peer_id", "peer_incident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    peer_id: int = Field(foreign_key="peers.id", index=True)
    peer_reference: str | None = Field(default=None, max_length=32)
    peer_incident_id: str = Field(max_length=64)
    created_at: datetime = utc_field(nullable=False)
    sent_through: int = 0
    synced_at: datetime | None = utc_field(nullable=True)


def by_name(session: Session, name: str) -> Peer | None:
    return session.exec(select(Peer).where(Peer.name == name)).first()


def by_identity(session: Session, identity_id: str) -> Peer | None:
    return session.exec(select(Peer).where(Peer.identity_id == identity_id)).first()


def all_peers(session: Session) -> list[Peer]:
    return list(session.exec(select(Peer).order_by(col(Peer.name))))


def pulling(session: Session) -> list[Peer]:
    return list(session.exec(select(Peer).where(col(Peer.pull_collection_id).is_not(None)).order_by(col(Peer.id))))


def with_inbox_news(session: Session, inbox_kind: str) -> list[str]:
    """Names of the peers whose inbox collection got objects after their inbox cursor.

    One query however many peers there are: an idle inbox worker asks only this.
    """
    # Imported here: the collections' tables are the TAXII server's, which a command that only reads
    # peers (`puente say … show`) never needs.
    from puente.storage.collections import TaxiiCollection

    statement = (
        select(Peer.name)
        .join(
            TaxiiCollection,
            and_(col(TaxiiCollection.kind) == inbox_kind, col(TaxiiCollection.audience) == col(Peer.name)),
        )
        .where(
            col(TaxiiCollection.last_added).is_not(None),
            or_(col(Peer.inbox_cursor).is_(None), col(TaxiiCollection.last_added) > col(Peer.inbox_cursor)),
        )
        .order_by(col(Peer.name))
    )
    return list(session.exec(statement))


def link_for_incident(session: Session, peer_id: int, peer_incident_id: str) -> TicketLink | None:
    statement = select(TicketLink).where(TicketLink.peer_id == peer_id, TicketLink.peer_incident_id == peer_incident_id)
    return session.exec(statement).first()


def links_of_ticket(session: Session, ticket_id: int) -> list[TicketLink]:
    return list(session.exec(select(TicketLink).where(TicketLink.ticket_id == ticket_id).order_by(col(TicketLink.id))))


def links_behind(session: Session) -> list[TicketLink]:
    """Links whose ticket changed since the peer was last sent its new versions."""
    statement = (
        select(TicketLink)
        .join(Ticket, col(Ticket.id) == col(TicketLink.ticket_id))
        .where(or_(col(TicketLink.synced_at).is_(None), col(Ticket.updated_at) > col(TicketLink.synced_at)))
        .order_by(col(TicketLink.ticket_id), col(TicketLink.id))
    )
    return list(session.exec(statement))


def origins(session: Session, tickets: Sequence[Ticket]) -> dict[int, str]:
    """`cert-br INC-2026-0004` for each ticket that holds a peer's incident: the peer that created it, its reference."""
    producers = {ticket.id: ticket.producer for ticket in tickets if ticket.producer and ticket.id is not None}
    if not producers:
        return {}
    statement = (
        select(TicketLink, Peer)
        .join(Peer, col(Peer.id) == col(TicketLink.peer_id))
        .where(col(TicketLink.ticket_id).in_(producers))
    )
    found: dict[int, str] = {}
    for link, peer in session.exec(statement):
        if peer.identity_id == producers[link.ticket_id]:
            found[link.ticket_id] = f"{peer.name} {link.peer_reference or ''}".strip()
    return found


def links_of_peer(session: Session, peer_id: int) -> list[TicketLink]:
    return list(session.exec(select(TicketLink).where(TicketLink.peer_id == peer_id)))


def forget_deliveries(session: Session, peer_id: int) -> None:
    """Drop what was queued for a peer that is being removed (what it sent: storage/inbox.py `forget`)."""
    from puente.storage.outbox import OutboxMessage

    session.execute(delete(OutboxMessage).where(col(OutboxMessage.peer_id) == peer_id))
