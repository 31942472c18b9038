"""People: the operator maps chat identities to Puente users with roles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from puente.services.context import Context
from puente.services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from puente.services.notify import PLATFORM_NAME, Recipient
from puente.storage import chat_requests, users
from puente.storage.models import Role, User

# At the terminal a person is known by their user name, not by an address of theirs.
CONSOLE = "console"

# A person's name as the timeline shows it: ASCII letters and digits with . _ - inside, so no look-alike
# letters, and never a colon: actors that are not people are written `partner:NAME` or `peer:NAME`.
USER_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?")
# The other actors the timeline names: the operator at the command line and Puente's own workers.
SYSTEM_ACTORS = frozenset({"system", "operator", "outbox", "poller", "escalation", "assistance-timer", "sharing"})


# How long a chat request is remembered: Telegram re-sends an undelivered update for up to a day;
# Slack retries an event within minutes and refuses a signed request older than five minutes.
REMEMBER_CHAT_REQUESTS = timedelta(days=1)


def first_arrival(ctx: Context, platform: str, delivery: str) -> bool:
    """Whether a request a chat platform delivered (`delivery`: its key there) is new. Remembered in
    this unit of work, so it counts as seen once the work commits, and on every replica."""
    now = ctx.now()
    chat_requests.forget_before(ctx.session, now - REMEMBER_CHAT_REQUESTS)
    return chat_requests.first_arrival(ctx.session, platform, delivery, now)


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
    if not USER_NAME.fullmatch(name):
        raise InvalidInput(
            f"Bad user name {name!r}: one word of letters, digits and . _ - (no other signs), e.g. ana or ana.perez."
        )
    if name.casefold() in SYSTEM_ACTORS:
        raise InvalidInput(f"{name!r} is the name of one of Puente's own actors on the timeline; pick a person's name.")
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
