"""On-call rotations and their overrides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, col, select

from puente.storage.types import Table, utc_field


class Rotation(Table, table=True):
    """People who take turns on call, handing off at a fixed local time every day or every week."""

    __tablename__ = "oncall_rotations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=64)
    members: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    handoff: str = Field(max_length=16)  # "mon 09:00" or "daily 09:00"
    timezone: str = Field(max_length=64)
    # The handoff at which members[0] took the first turn; every later turn counts from it.
    anchor_at: datetime = utc_field(nullable=False)
    created_at: datetime = utc_field(nullable=False)


class RotationOverride(Table, table=True):
    """Someone covering a rotation for a while (a swap, a holiday); the newest override wins."""

    __tablename__ = "oncall_overrides"

    id: int | None = Field(default=None, primary_key=True)
    rotation_id: int = Field(foreign_key="oncall_rotations.id", index=True)
    user_name: str = Field(max_length=64)
    starts_at: datetime = utc_field(nullable=False)
    ends_at: datetime = utc_field(nullable=False)
    created_at: datetime = utc_field(nullable=False)
    created_by: str = Field(max_length=128)


def by_name(session: Session, name: str) -> Rotation | None:
    return session.exec(select(Rotation).where(Rotation.name == name)).first()


def all_rotations(session: Session) -> list[Rotation]:
    return list(session.exec(select(Rotation).order_by(col(Rotation.name))))


def overrides(session: Session, rotation_id: int, ending_after: datetime) -> list[RotationOverride]:
    """Overrides still in force or yet to come, newest first."""
    statement = (
        select(RotationOverride)
        .where(RotationOverride.rotation_id == rotation_id, col(RotationOverride.ends_at) > ending_after)
        .order_by(col(RotationOverride.id).desc())
    )
    return list(session.exec(statement))


def delete(session: Session, rotation: Rotation) -> None:
    for override in session.exec(select(RotationOverride).where(RotationOverride.rotation_id == rotation.id)):
        session.delete(override)
    session.delete(rotation)
