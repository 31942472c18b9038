"""Peer CSIRTs: their points of contact and TAXII endpoints, links between their tickets and ours,
and the object versions already taken in from them (so ingesting twice changes nothing)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint, delete
from sqlmodel import Field, Session, SQLModel, col, select

from puente.storage.types import utc_field


class Peer(SQLModel, table=True):
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


class TicketLink(SQLModel, table=True):
    """Our ticket and the peer's ticket about the same incident."""

    __tablename__ = "ticket_links"
    __table_args__ = (UniqueConstraint("peer_id", "peer_incident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    peer_id: int = Field(foreign_key="peers.id", index=True)
    peer_reference: str | None = Field(default=None, max_length=32)
    peer_incident_id: str = Field(max_length=64)
    created_at: datetime = utc_field(nullable=False)


class IngestedObject(SQLModel, table=True):
    """One object version received from a peer; the unique key makes a second arrival a no-op."""

    __tablename__ = "peer_ingested"
    __table_args__ = (UniqueConstraint("peer_id", "stix_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    peer_id: int = Field(foreign_key="peers.id", index=True)
    stix_id: str = Field(max_length=128)
    version: str = Field(max_length=40)
    received_at: datetime = utc_field(nullable=False)


def by_name(session: Session, name: str) -> Peer | None:
    return session.exec(select(Peer).where(Peer.name == name)).first()


def by_identity(session: Session, identity_id: str) -> Peer | None:
    return session.exec(select(Peer).where(Peer.identity_id == identity_id)).first()


def all_peers(session: Session) -> list[Peer]:
    return list(session.exec(select(Peer).order_by(col(Peer.name))))


def pulling(session: Session) -> list[Peer]:
    return list(session.exec(select(Peer).where(col(Peer.pull_collection_id).is_not(None)).order_by(col(Peer.id))))


def link_for_incident(session: Session, peer_id: int, peer_incident_id: str) -> TicketLink | None:
    statement = select(TicketLink).where(TicketLink.peer_id == peer_id, TicketLink.peer_incident_id == peer_incident_id)
    return session.exec(statement).first()


def seen(session: Session, peer_id: int, stix_id: str, version: str) -> bool:
    statement = select(IngestedObject.id).where(
        IngestedObject.peer_id == peer_id, IngestedObject.stix_id == stix_id, IngestedObject.version == version
    )
    return session.exec(statement).first() is not None


def links_of_peer(session: Session, peer_id: int) -> list[TicketLink]:
    return list(session.exec(select(TicketLink).where(TicketLink.peer_id == peer_id)))


def forget_deliveries(session: Session, peer_id: int) -> None:
    """Drop what was queued for and received from a peer that is being removed."""
    from puente.storage.outbox import OutboxMessage

    session.execute(delete(OutboxMessage).where(col(OutboxMessage.peer_id) == peer_id))
    session.execute(delete(IngestedObject).where(col(IngestedObject.peer_id) == peer_id))
