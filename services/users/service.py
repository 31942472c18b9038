"""People: the operator maps chat identities to Puente users with roles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from puente.services.context import Context
from puente.services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from puente.services.notify import PLATFORM_NAME, Recipient
from puente.storage import users
from puente.storage.models import Role, User

# At the terminal a person is known by their user name, not by an address of theirs.
CONSOLE = "console"


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
    addresses: Mapping[str, str | None] | None = None,
    timezone: str | None = None,
) -> User:
    """Add a person with their address on each chat platform they use, e.g. {"slack": "U024BE7LH"}."""
    name = name.strip()
    if not name or any(ch.isspace() for ch in name):
        raise InvalidInput("A user name is one word, e.g. ana or ana.perez.")
    if users.by_name(ctx.session, name) is not None:
        raise Conflict(f"User {name!r} exists already; remove it first or pick another name.")
    given = {platform: address for platform, address in (addresses or {}).items() if address}
    for platform, address in given.items():
        if not PLATFORM_NAME.fullmatch(platform):
            raise InvalidInput(f"Unknown chat platform {platform!r}: name it in lower case, e.g. slack or telegram.")
        if (other := users.by_address(ctx.session, platform, address)) is not None:
            raise Conflict(f"{platform.capitalize()} id {address} already belongs to {other.name}.")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"Unknown time zone {timezone!r}: use an IANA name such as America/Bogota.") from None
    user = User(name=name, role=role.value, timezone=timezone or None, created_at=ctx.now())
    ctx.session.add(user)
    ctx.session.flush()
    for platform, address in given.items():
        users.add_address(ctx.session, user, platform, address)
    ctx.record(
        action="user-added",
        summary=f"{name} as {role.value}",
        after={"name": name, "role": role.value},
    )
    return user


def remove(ctx: Context, name: str) -> None:
    user = users.by_name(ctx.session, name)
    if user is None:
        raise NotFound(f"No Puente user {name!r}.")
    before = {"name": user.name, "role": user.role, "addresses": users.addresses_of(ctx.session, [user])[name]}
    users.delete(ctx.session, user)
    ctx.record(action="user-removed", summary=name, before=before)


def listing(ctx: Context) -> list[tuple[User, dict[str, str]]]:
    """Everyone, by name, with their address by platform (platforms in alphabetical order)."""
    everyone = users.all_users(ctx.session)
    held = users.addresses_of(ctx.session, everyone)
    return [(user, held[user.name]) for user in everyone]


def as_recipients(ctx: Context, people: Iterable[User]) -> list[Recipient]:
    """The people as notifiers reach them: by name, and at their address on each platform."""
    people = list(people)
    held = users.addresses_of(ctx.session, people)
    return [Recipient(user.name, held[user.name]) for user in people]


def identify(ctx: Context, platform: str, address: str) -> User:
    """Map a chat identity (on the console: a user name) to a Puente user, or refuse with how to get access."""
    if platform == CONSOLE:
        user = users.by_name(ctx.session, address)
    else:
        user = users.by_address(ctx.session, platform, address)
    if user is None:
        who, flag = (address, "") if platform == CONSOLE else ("YOUR_NAME", f" --{platform} {address}")
        raise Unauthenticated(
            f"You are not a Puente user yet ({platform} id {address}). Ask a Puente admin to run:"
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
