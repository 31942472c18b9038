"""User persistence: chat identities mapped to Puente users."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete as delete_rows
from sqlalchemy import update
from sqlmodel import Session, col, select

from puente.storage.models import ChatIdentity, Ticket, TicketObservable, User


def by_name(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name)).first()


def by_names(session: Session, names: Iterable[str]) -> list[User]:
    return list(session.exec(select(User).where(col(User.name).in_(list(names)))))


def by_address(session: Session, platform: str, address: str) -> User | None:
    """The person a chat platform's address belongs to."""
    statement = (
        select(User)
        .join(ChatIdentity, col(ChatIdentity.user_id) == col(User.id))
        .where(ChatIdentity.platform == platform, ChatIdentity.address == address)
    )
    return session.exec(statement).first()


def addresses_of(session: Session, people: Iterable[User]) -> dict[str, dict[str, str]]:
    """Each person's address by platform (in the platforms' alphabetical order), keyed by user name."""
    names = {user.id: user.name for user in people}
    found: dict[str, dict[str, str]] = {name: {} for name in names.values()}
    statement = select(ChatIdentity).where(col(ChatIdentity.user_id).in_(names))
    for identity in session.exec(statement.order_by(col(ChatIdentity.platform))):
        found[names[identity.user_id]][identity.platform] = identity.address
    return found


def add_address(session: Session, user: User, platform: str, address: str) -> None:
    assert user.id is not None
    session.add(ChatIdentity(user_id=user.id, platform=platform, address=address))


def by_role(session: Session, roles: list[str]) -> list[User]:
    return list(session.exec(select(User).where(col(User.role).in_(roles)).order_by(col(User.name))))


def all_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.name))))


def any_user(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


def delete(session: Session, user: User) -> None:
    """Delete a user, their chat identities and web sessions; tickets and observables they touched keep their
    history without the link."""
    # Imported here: sign-in links are the web view's; every other use of users goes without them.
    from puente.storage.web_sessions import WebSignIn

    session.execute(delete_rows(ChatIdentity).where(col(ChatIdentity.user_id) == user.id))
    session.execute(delete_rows(WebSignIn).where(col(WebSignIn.user_id) == user.id))
    session.execute(update(Ticket).where(col(Ticket.owner_id) == user.id).values(owner_id=None))
    session.execute(update(Ticket).where(col(Ticket.opened_by_id) == user.id).values(opened_by_id=None))
    session.execute(
        update(TicketObservable).where(col(TicketObservable.added_by_id) == user.id).values(added_by_id=None)
    )
    session.delete(user)
