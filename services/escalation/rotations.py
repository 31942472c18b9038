"""On-call rotations: who is on call at a given moment, with handoffs in local time and overrides."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from puente.storage import oncall as oncall_store
from puente.storage import users
from puente.storage.models import Role, User
from puente.storage.oncall import Rotation, RotationOverride

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HANDOFF = re.compile(r"^\s*([a-z]+)\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)
HANDOFF_HINT = 'use a weekday and a 24-hour time such as "mon 09:00", or "daily 08:00"'


@dataclass(frozen=True, slots=True)
class Handoff:
    """When a rotation passes to the next person: every week on `weekday`, or every day when it is None."""

    weekday: int | None
    at: time

    @property
    def period(self) -> timedelta:
        return timedelta(days=1 if self.weekday is None else 7)

    def __str__(self) -> str:
        day = "daily" if self.weekday is None else WEEKDAYS[self.weekday]
        return f"{day} {self.at:%H:%M}"


@dataclass(frozen=True, slots=True)
class Shift:
    """Someone on call from `starts` until `ends` (UTC); `override` when covering for the rotation's turn."""

    user: str
    starts: datetime
    ends: datetime
    override: bool = False


@dataclass(frozen=True, slots=True)
class RotationNow:
    rotation: Rotation
    current: Shift
    next: Shift


def parse_handoff(text: str) -> Handoff:
    match = _HANDOFF.match(text)
    if match is None:
        raise InvalidInput(_("Bad handoff {text!r}: {HANDOFF_HINT}.").format(text=text, HANDOFF_HINT=HANDOFF_HINT))
    day, hour, minute = match.group(1).lower(), int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise InvalidInput(
            _("Bad handoff time in {text!r}: {HANDOFF_HINT}.").format(text=text, HANDOFF_HINT=HANDOFF_HINT)
        )
    if day == "daily":
        return Handoff(None, time(hour, minute))
    weekday = next((i for i, name in enumerate(WEEKDAYS) if day.startswith(name)), None)
    if weekday is None:
        raise InvalidInput(
            _("Bad handoff day {match!r}: {HANDOFF_HINT}.").format(match=match.group(1), HANDOFF_HINT=HANDOFF_HINT)
        )
    return Handoff(weekday, time(hour, minute))


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            _("Unknown time zone {name!r}: use an IANA name such as America/Bogota.").format(name=name)
        ) from None


def _at(day: date, handoff: Handoff, zone: ZoneInfo) -> datetime:
    """The handoff on local `day`, in UTC (wall-clock time, so it stays at 09:00 across DST)."""
    return datetime.combine(day, handoff.at, tzinfo=zone).astimezone(UTC)


def last_handoff(handoff: Handoff, zone: ZoneInfo, moment: datetime) -> date:
    """The local date of the latest handoff at or before `moment`."""
    day = moment.astimezone(zone).date()
    if handoff.weekday is not None:
        day -= timedelta(days=(day.weekday() - handoff.weekday) % 7)
    if _at(day, handoff, zone) > moment:
        day -= handoff.period
    return day


def _turn(rotation: Rotation, moment: datetime) -> Shift:
    """Whose turn it is by the rotation alone, ignoring overrides."""
    handoff, zone = parse_handoff(rotation.handoff), ZoneInfo(rotation.timezone)
    anchor = last_handoff(handoff, zone, rotation.anchor_at)
    day = last_handoff(handoff, zone, moment)
    turns = (day - anchor).days // handoff.period.days
    user = rotation.members[turns % len(rotation.members)]
    return Shift(user, _at(day, handoff, zone), _at(day + handoff.period, handoff, zone))


def shift_at(rotation: Rotation, overrides: list[RotationOverride], moment: datetime) -> Shift:
    """Who is on call at `moment` and until when; `overrides` newest first (the newest wins)."""
    for override in overrides:
        if override.starts_at <= moment < override.ends_at:
            return Shift(override.user_name, override.starts_at, override.ends_at, override=True)
    turn = _turn(rotation, moment)
    # An override starting before the handoff cuts this turn short.
    starts = [o.starts_at for o in overrides if moment < o.starts_at < turn.ends]
    return Shift(turn.user, turn.starts, min([turn.ends, *starts]), override=False)


def now_and_next(ctx: Context, rotation: Rotation, moment: datetime | None = None) -> RotationNow:
    moment = moment or ctx.now()
    assert rotation.id is not None
    found = oncall_store.overrides(ctx.session, rotation.id, moment)
    current = shift_at(rotation, found, moment)
    following = shift_at(rotation, found, current.ends)
    return RotationNow(rotation, current, following)


def on_call(ctx: Context, rotation_name: str) -> User | None:
    """The person on call now for the rotation, or None when the rotation or the person is gone."""
    rotation = oncall_store.by_name(ctx.session, rotation_name)
    if rotation is None:
        return None
    return users.by_name(ctx.session, now_and_next(ctx, rotation).current.user)


def _require_operator(ctx: Context, doing: str) -> None:
    """The CLI (no chat actor) is the operator; a chat user needs the lead role."""
    actor = ctx.actor
    if actor is not None and not actor.role_enum.allows(Role.LEAD):
        raise Forbidden(
            _("{name} is {role}; {doing} needs the lead role or above.").format(
                name=actor.name, role=actor.role, doing=doing
            )
        )


def _known_users(ctx: Context, names: list[str]) -> list[str]:
    missing = [name for name in names if users.by_name(ctx.session, name) is None]
    if missing:
        raise NotFound(
            _("No Puente user {value}: add them first with puente users add NAME --role oncall.").format(
                value=", ".join(map(repr, missing))
            )
        )
    return names


def add_rotation(ctx: Context, name: str, members: list[str], handoff: str, timezone: str) -> Rotation:
    _require_operator(ctx, "adding a rotation")
    name = name.strip()
    if not name or any(ch.isspace() for ch in name):
        raise InvalidInput(_("A rotation name is one word, e.g. primary or network-team."))
    members = [m.strip().lstrip("@") for m in members if m.strip()]
    if not members:
        raise InvalidInput(_("A rotation needs people: --users ana,bob,carla (in turn order)."))
    if oncall_store.by_name(ctx.session, name) is not None:
        raise Conflict(_("Rotation {name!r} exists already; remove it first or pick another name.").format(name=name))
    parsed, zone = parse_handoff(handoff), parse_timezone(timezone)
    now = ctx.now()
    day = last_handoff(parsed, zone, now)
    rotation = Rotation(
        name=name,
        members=_known_users(ctx, members),
        handoff=str(parsed),
        timezone=timezone,
        anchor_at=_at(day, parsed, zone),
        created_at=now,
    )
    ctx.session.add(rotation)
    ctx.session.flush()
    ctx.record(
        at=now,
        action="rotation-added",
        summary=f"{name}: {', '.join(members)}, handoff {parsed} {timezone}",
        after={"name": name, "members": members, "handoff": str(parsed), "timezone": timezone},
    )
    return rotation


def get_rotation(ctx: Context, name: str) -> Rotation:
    rotation = oncall_store.by_name(ctx.session, name.strip())
    if rotation is None:
        known = ", ".join(r.name for r in oncall_store.all_rotations(ctx.session))
        raise NotFound(
            _("No rotation {name!r}. Rotations: {value}.").format(
                name=name, value=known or _("none yet (puente oncall rotation add NAME …)")
            )
        )
    return rotation


def remove_rotation(ctx: Context, name: str) -> None:
    _require_operator(ctx, "removing a rotation")
    rotation = get_rotation(ctx, name)
    oncall_store.delete(ctx.session, rotation)
    ctx.record(action="rotation-removed", summary=name)


def listing(ctx: Context) -> list[RotationNow]:
    return [now_and_next(ctx, rotation) for rotation in oncall_store.all_rotations(ctx.session)]


def add_override(
    ctx: Context, rotation_name: str, user_name: str, starts: datetime, ends: datetime
) -> RotationOverride:
    """`user_name` is on call for the rotation from `starts` to `ends` (aware datetimes)."""
    _require_operator(ctx, "overriding a rotation")
    rotation = get_rotation(ctx, rotation_name)
    user_name = _known_users(ctx, [user_name.strip().lstrip("@")])[0]
    if ends <= starts:
        raise InvalidInput(
            _("An override must end after it starts ({starts:%Y-%m-%d %H:%M} -> {ends:%Y-%m-%d %H:%M}).").format(
                starts=starts, ends=ends
            )
        )
    override = RotationOverride(
        rotation_id=rotation.id or 0,
        user_name=user_name,
        starts_at=starts,
        ends_at=ends,
        created_at=ctx.now(),
        created_by=ctx.who,
    )
    ctx.session.add(override)
    ctx.record(
        action="rotation-override",
        summary=f"{user_name} covers {rotation.name} from {starts.isoformat()} to {ends.isoformat()}",
    )
    return override


def parse_moment(text: str, zone: ZoneInfo) -> datetime:
    """An ISO date-time; without an offset it is read in the rotation's time zone."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            _(
                "Bad time {text!r}: use ISO format such as 2026-03-02T09:00 (rotation's time zone) or "
                "2026-03-02T14:00Z."
            ).format(text=text)
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
