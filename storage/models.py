"""The foundation's tables: users and their chat identities, tickets, their observables and notes, the timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint, text
from sqlmodel import Field

from puente.storage.types import Table, utc_field


class Role(StrEnum):
    """What a person may do. Each role includes the ones before it."""

    ONCALL = "oncall"
    ANALYST = "analyst"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


class TicketStatus(StrEnum):
    NEW = "new"
    TRIAGE = "triage"
    IN_PROGRESS = "in-progress"
    ESCALATED = "escalated"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class User(Table, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=64)
    role: str = Field(default=Role.ANALYST.value, max_length=16)
    timezone: str | None = Field(default=None, max_length=64)
    # en, es, pt or fr; None: the language their chat platform says they use, else PUENTE_LANGUAGE.
    language: str | None = Field(default=None, max_length=8)
    created_at: datetime = utc_field(nullable=False)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class ChatIdentity(Table, table=True):
    """Where a person is reached on one chat platform: a Slack user id, a Telegram chat id, ….

    The platform is the name its chat adapter goes by, so a new adapter needs no new column; an
    address belongs to one person, and a person has at most one address per platform.
    """

    __tablename__ = "chat_identities"
    __table_args__ = (UniqueConstraint("platform", "address", name="uq_chat_identities_platform_address"),)

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    platform: str = Field(primary_key=True, max_length=16)
    address: str = Field(max_length=255)


class TicketSequence(Table, table=True):
    """The last reference number handed out per year; bumped in the creating transaction."""

    __tablename__ = "ticket_sequences"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_number: int = 0


class Ticket(Table, table=True):
    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("year", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, index=True, max_length=32)
    year: int
    number: int
    title: str = Field(max_length=300)
    description: str = ""
    severity: str = Field(max_length=16)
    status: str = Field(max_length=16, index=True)
    rsit_classification: str | None = Field(default=None, max_length=64)
    rsit_type: str | None = Field(default=None, max_length=64)
    sectors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    countries: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Labels of the producer's that no other field holds (MISP galaxy tags, OpenCTI labels): they travel back.
    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default=text("'[]'")))
    tlp: str = Field(max_length=16)
    pap: str = Field(max_length=16)
    # Why personal data in the ticket may be shared (`LGPD art. 7 IX`); without it, it may not (DESIGN.md).
    legal_basis: str | None = Field(default=None, max_length=300)
    aware_at: datetime = utc_field(nullable=False)
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    opened_by_id: int | None = Field(default=None, foreign_key="users.id")
    incident_id: str = Field(unique=True, max_length=64)
    # The identity that created the incident, when the ticket was imported; None for our own.
    producer: str | None = Field(default=None, max_length=128)
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)


class TicketObservable(Table, table=True):
    __tablename__ = "ticket_observables"
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    kind: str = Field(max_length=16)
    value: str = Field(max_length=2048)
    added_at: datetime = utc_field(nullable=False)
    added_by_id: int | None = Field(default=None, foreign_key="users.id")


class TicketNote(Table, table=True):
    __tablename__ = "ticket_notes"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    note_id: str = Field(unique=True, max_length=64)
    author: str = Field(max_length=128)
    text: str
    # The language it was written in (a language tag: es, pt-BR); None when nobody said.
    language: str | None = Field(default=None, max_length=35)
    created_at: datetime = utc_field(nullable=False)


class TimelineEvent(Table, table=True):
    """Append-only audit record of every state change: who, when, what, before and after; each event's
    digest covers what it says and the digest of the event before it (storage/timeline.py)."""

    __tablename__ = "timeline_events"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    at: datetime = utc_field(nullable=False)
    actor: str = Field(max_length=128)
    action: str = Field(max_length=64)
    summary: str = ""  # in English
    # What the summary says as a phrase (i18n.stored), read by each reader in their own language; None in
    # events recorded before timelines were worded, and in operator records that only the command line reads.
    wording: Any = Field(default=None, sa_column=Column(JSON))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    previous_digest: str = Field(default="", max_length=64)
    digest: str = Field(default="", max_length=64)
