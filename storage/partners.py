"""TAXII partners: credentials (stored hashed) and the collections each may read or write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, UniqueConstraint, delete, select
from sqlmodel import Field, Session, col

from puente.storage.collections import TaxiiCollection
from puente.storage.types import Table, utc_field


class Partner(Table, table=True):
    """A team that polls our collections; `audience` is the peer it speaks for, or its own name."""

    __tablename__ = "taxii_partners"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=64)
    audience: str = Field(max_length=64, index=True)
    peer: str | None = Field(default=None, max_length=64)
    identity_ref: str | None = Field(default=None, max_length=128)
    password_salt: str = Field(max_length=64)
    password_hash: str = Field(max_length=128)
    key_hash: str = Field(unique=True, max_length=128)
    created_at: datetime = utc_field(nullable=False)
    revoked_at: datetime | None = utc_field(nullable=True)


class PartnerGrant(Table, table=True):
    __tablename__ = "taxii_partner_grants"
    __table_args__ = (UniqueConstraint("partner_id", "collection_id"),)

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="taxii_partners.id", index=True)
    collection_id: str = Field(foreign_key="taxii_collections.id", max_length=36)
    can_read: bool = False
    can_write: bool = False


def by_name(session: Session, name: str) -> Partner | None:
    return session.execute(select(Partner).where(col(Partner.name) == name)).scalars().first()


def by_key_hash(session: Session, key_hash: str) -> Partner | None:
    return session.execute(select(Partner).where(col(Partner.key_hash) == key_hash)).scalars().first()


def all_partners(session: Session) -> list[Partner]:
    return list(session.execute(select(Partner).order_by(col(Partner.name))).scalars())


def grants(session: Session, partner_id: int) -> list[PartnerGrant]:
    statement = select(PartnerGrant).where(col(PartnerGrant.partner_id) == partner_id).order_by(col(PartnerGrant.id))
    return list(session.execute(statement).scalars())


def granted_collections(session: Session, partner_id: int) -> Sequence[Row[Any]]:
    """(id, alias, title, description, can_read, can_write) of each collection granted to the partner.

    In the order of `collections.all_collections`; one query, as it runs on every TAXII request.
    """
    statement = (
        select(
            col(TaxiiCollection.id),
            col(TaxiiCollection.alias),
            col(TaxiiCollection.title),
            col(TaxiiCollection.description),
            col(PartnerGrant.can_read),
            col(PartnerGrant.can_write),
        )
        .join(PartnerGrant, col(PartnerGrant.collection_id) == col(TaxiiCollection.id))
        .where(col(PartnerGrant.partner_id) == partner_id)
        .order_by(col(TaxiiCollection.created_at), col(TaxiiCollection.alias))
    )
    return session.execute(statement).all()


def remove_grants(session: Session, partner_id: int) -> None:
    session.execute(delete(PartnerGrant).where(col(PartnerGrant.partner_id) == partner_id))
