"""Regulatory filings: that a ticket's early warning, notification or final report was filed, when, by
whom and under which reference of the authority; a filed stage's clock stops reminding."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, col, select

from puente.storage.types import Table, utc_field


class RegulatoryFiling(Table, table=True):
    __tablename__ = "regulatory_filings"
    __table_args__ = (UniqueConstraint("ticket_id", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    stage: str = Field(max_length=32)  # early-warning | notification | final
    filed_at: datetime = utc_field(nullable=False)
    filed_by: str = Field(max_length=128)
    reference: str | None = Field(default=None, max_length=200)


def of_ticket(session: Session, ticket_id: int) -> dict[str, RegulatoryFiling]:
    statement = select(RegulatoryFiling).where(RegulatoryFiling.ticket_id == ticket_id)
    return {filing.stage: filing for filing in session.exec(statement.order_by(col(RegulatoryFiling.id)))}
