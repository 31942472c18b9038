"""People: the operator maps chat identities to Puente users with roles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from puente import i18n
from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from puente.services.notify import PLATFORM_NAME, Recipient
from puente.storage import users
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
    # Imported here: only Slack and Telegram deliver a request twice; a console command never asks.
    from puente.storage import chat_requests

    now = ctx.now()
    chat_requests.forget_before(ctx.session, now - REMEMBER_CHAT_REQUESTS)
    return chat_requests.first_arrival(ctx.session, platform, delivery, now)


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            _("Unknown role {value!r}: use {roles}.").format(value=value, roles=", ".join(r.value for r in Role))
        ) from None


def parse_language(value: str) -> str:
    """A language Puente speaks, by its code (es) or a tag naming it (es-CO, pt_BR)."""
    code = i18n.supported(value)
    if code is None:
        known = ", ".join(f"{code} ({name})" for code, name in i18n.NAMES.items())
        raise InvalidInput(_("Puente does not speak {value!r}: choose {known}.").format(value=value, known=known))
    return code


def parse_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            _("Unknown time zone {value!r}: use an IANA name such as America/Bogota.").format(value=value)
        ) from None
    return value


def add(
    ctx: Context,
    name: str,
    role: Role,
    *,
    addresses: Mapping[str, str | None] | None = None,
    timezone: str | None = None,
    language: str | None = None,
) -> User:
    """Add a person with their address on each chat platform they use, e.g. {"slack": "U024BE7LH"}, and the
    language they read (none: their platform's, else the deployment's)."""
    name = name.strip()
    if not USER_NAME.fullmatch(name):
        raise InvalidInput(
            _(
                "Bad user name {name!r}: one word of letters, digits and . _ - (no other signs), e.g. ana or ana.perez."
            ).format(name=name)
        )
    if name.casefold() in SYSTEM_ACTORS:
        raise InvalidInput(
            _("{name!r} is the name of one of Puente's own actors on the timeline; pick a person's name.").format(
                name=name
            )
        )
    if users.by_name(ctx.session, name) is not None:
        raise Conflict(_("User {name!r} exists already; remove it first or pick another name.").format(name=name))
    given = {platform: address for platform, address in (addresses or {}).items() if address}
    for platform, address in given.items():
        if not PLATFORM_NAME.fullmatch(platform):
            raise InvalidInput(
                _("Unknown chat platform {platform!r}: name it in lower case, e.g. slack or telegram.").format(
                    platform=platform
                )
            )
        if (other := users.by_address(ctx.session, platform, address)) is not None:
            raise Conflict(
                _("{platform} id {address} already belongs to {name}.").format(
                    platform=platform.capitalize(), address=address, name=other.name
                )
            )
    zone = parse_timezone(timezone) if timezone else None
    spoken = parse_language(language) if language else None
    user = User(name=name, role=role.value, timezone=zone, language=spoken, created_at=ctx.now())
    ctx.session.add(user)
    ctx.session.flush()
    for platform, address in given.items():
        users.add_address(ctx.session, user, platform, address)
    ctx.record(
        action="user-added",
        summary=f"{name} as {role.value}",
        after={"name": name, "role": role.value, **({"language": spoken} if spoken else {})},
    )
    return user


def change(ctx: Context, name: str, *, language: str | None = None, timezone: str | None = None) -> User:
    """Change what a person reads Puente in: their language, their time zone (None leaves one as it is)."""
    user = users.by_name(ctx.session, name)
    if user is None:
        raise NotFound(_("No Puente user {name!r}.").format(name=name))
    before = {"language": user.language, "timezone": user.timezone}
    if language is not None:
        user.language = parse_language(language)
    if timezone is not None:
        user.timezone = parse_timezone(timezone)
    after = {"language": user.language, "timezone": user.timezone}
    ctx.session.add(user)
    ctx.record(action="user-changed", summary=name, before=before, after=after)
    return user


def remove(ctx: Context, name: str) -> None:
    user = users.by_name(ctx.session, name)
    if user is None:
        raise NotFound(_("No Puente user {name!r}.").format(name=name))
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


def known(ctx: Context, platform: str, address: str) -> User | None:
    """The Puente user a chat identity (on the console: a user name) belongs to, if any."""
    if platform == CONSOLE:
        return users.by_name(ctx.session, address)
    return users.by_address(ctx.session, platform, address)


def identify(ctx: Context, platform: str, address: str) -> User:
    """Map a chat identity (on the console: a user name) to a Puente user, or refuse with how to get access."""
    user = known(ctx, platform, address)
    if user is None:
        who, flag = (address, "") if platform == CONSOLE else ("YOUR_NAME", f" --{platform} {address}")
        raise Unauthenticated(
            _(
                "You are not a Puente user yet ({platform} id {address}). Ask a Puente admin to run:"
                " puente users add {who} --role analyst{flag}"
            ).format(platform=platform, address=address, who=who, flag=flag)
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
        raise Forbidden(_("{doing} needs a known Puente user.").format(doing=doing.capitalize()))
    if not actor.role_enum.allows(role):
        raise Forbidden(
            _(
                "{name} is {role}; {doing} needs the {needed} role or above."
                " Ask an admin: puente users add NAME --role {needed}"
            ).format(name=actor.name, role=actor.role, doing=doing, needed=role.value)
        )
    return actor
