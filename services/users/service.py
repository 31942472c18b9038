"""People: the operator maps chat identities to Puente users with roles."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from puente.services.context import Context
from puente.services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from puente.storage import timeline, users
from puente.storage.models import Role, User


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InvalidInput(f"Unknown role {value!r}: use {', '.join(r.value for r in Role)}.") from None


def add(
    ctx: Context,
    name: str,
    role: Role,
    *,
    slack_id: str | None = None,
    telegram_id: str | None = None,
    timezone: str | None = None,
) -> User:
    name = name.strip()
    if not name or any(ch.isspace() for ch in name):
        raise InvalidInput("A user name is one word, e.g. ana or ana.perez.")
    if users.by_name(ctx.session, name) is not None:
        raise Conflict(f"User {name!r} exists already; remove it first or pick another name.")
    if slack_id and (other := users.by_slack_id(ctx.session, slack_id)) is not None:
        raise Conflict(f"Slack id {slack_id} already belongs to {other.name}.")
    if telegram_id and (other := users.by_telegram_id(ctx.session, telegram_id)) is not None:
        raise Conflict(f"Telegram id {telegram_id} already belongs to {other.name}.")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"Unknown time zone {timezone!r}: use an IANA name such as America/Bogota.") from None
    user = User(
        name=name,
        role=role.value,
        slack_id=slack_id or None,
        telegram_id=telegram_id or None,
        timezone=timezone or None,
        created_at=ctx.now(),
    )
    ctx.session.add(user)
    ctx.session.flush()
    timeline.record(
        ctx.session,
        at=ctx.now(),
        actor=ctx.who,
        action="user-added",
        summary=f"{name} as {role.value}",
        after={"name": name, "role": role.value},
    )
    return user


def remove(ctx: Context, name: str) -> None:
    user = users.by_name(ctx.session, name)
    if user is None:
        raise NotFound(f"No Puente user {name!r}.")
    before = {"name": user.name, "role": user.role, "slack_id": user.slack_id, "telegram_id": user.telegram_id}
    users.delete(ctx.session, user)
    timeline.record(ctx.session, at=ctx.now(), actor=ctx.who, action="user-removed", summary=name, before=before)


def listing(ctx: Context) -> list[User]:
    return users.all_users(ctx.session)


def identify(ctx: Context, platform: str, platform_id: str) -> User:
    """Map a chat identity to a Puente user, or refuse with how to get access."""
    lookup = {"console": users.by_name, "slack": users.by_slack_id, "telegram": users.by_telegram_id}[platform]
    user = lookup(ctx.session, platform_id)
    if user is None:
        flag = {"console": "", "slack": f" --slack {platform_id}", "telegram": f" --telegram {platform_id}"}[platform]
        who = platform_id if platform == "console" else "YOUR_NAME"
        raise Unauthenticated(
            f"You are not a Puente user yet ({platform} id {platform_id}). Ask a Puente admin to run:"
            f" puente users add {who} --role analyst{flag}"
        )
    return user


def bootstrap_admin(ctx: Context, name: str) -> User | None:
    """On a brand-new installation the first console user becomes its admin; otherwise nothing."""
    if users.any_user(ctx.session):
        return None
    return add(ctx, name, Role.ADMIN)


def require_role(ctx: Context, role: Role, doing: str) -> User:
    actor = ctx.actor
    if actor is None:
        raise Forbidden(f"{doing.capitalize()} needs a known Puente user.")
    if not actor.role_enum.allows(role):
        raise Forbidden(
            f"{actor.name} is {actor.role}; {doing} needs the {role.value} role or above."
            " Ask an admin: puente users add NAME --role " + role.value
        )
    return actor
