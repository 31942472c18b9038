"""User persistence: chat identities mapped to Puente users."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from puente.storage.models import Ticket, TicketObservable, User


def by_name(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name)).first()


def by_slack_id(session: Session, slack_id: str) -> User | None:
    return session.exec(select(User).where(User.slack_id == slack_id)).first()


def by_telegram_id(session: Session, telegram_id: str) -> User | None:
    return session.exec(select(User).where(User.telegram_id == telegram_id)).first()


def by_role(session: Session, roles: list[str]) -> list[User]:
    return list(session.exec(select(User).where(col(User.role).in_(roles)).order_by(col(User.name))))


def all_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.name))))


def any_user(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


def delete(session: Session, user: User) -> None:
    """Delete a user; tickets and observables they touched keep their history without the link."""
    session.execute(update(Ticket).where(col(Ticket.owner_id) == user.id).values(owner_id=None))
    session.execute(update(Ticket).where(col(Ticket.opened_by_id) == user.id).values(opened_by_id=None))
    session.execute(
        update(TicketObservable).where(col(TicketObservable.added_by_id) == user.id).values(added_by_id=None)
    )
    session.delete(user)
