"""The rules of the mutual-assistance protocol (DESIGN.md, "Mutual assistance protocol").

Both sides keep the same request, keyed by its request id: the requester (direction `outbound`)
sends RFA, INFO, CLOSE and CANCEL; the responder (`inbound`) sends ACK, ACCEPT, PARTIAL, DECLINE,
FORWARD, INFO-REQUEST, SITREP and RESULT. Every message moves the request along the same
transition table on both sides. The vocabularies are the codes on the wire, defined with the STIX
message format; the rest of Puente takes them from here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from puente.i18n import N_, Phrase, Words, _
from puente.services.errors import InvalidInput
from puente.services.vocabularies.taxonomy import Severity
from puente.stix import assistance as stix_notes
from puente.storage.models import Role

ACTIONS = stix_notes.ACTIONS
DECLINE_REASONS = stix_notes.DECLINE_REASONS

OUTBOUND = "outbound"  # we asked: we are the requester
INBOUND = "inbound"  # a peer asked us: we are the responder


class State(StrEnum):
    SENT = "SENT"
    ACKED = "ACKED"
    ACCEPTED = "ACCEPTED"
    PARTIAL = "PARTIAL"
    DECLINED = "DECLINED"
    FORWARDED = "FORWARDED"
    IN_PROGRESS = "IN_PROGRESS"
    INFO_REQUESTED = "INFO_REQUESTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    CLOSED = "CLOSED"


ACTIVE = frozenset({State.SENT, State.ACKED, State.ACCEPTED, State.PARTIAL, State.IN_PROGRESS, State.INFO_REQUESTED})
WORKING = frozenset({State.ACCEPTED, State.PARTIAL, State.IN_PROGRESS, State.INFO_REQUESTED})
ENDED = frozenset({State.COMPLETED, State.FAILED, State.EXPIRED, State.DECLINED, State.FORWARDED})

# message type -> (who sends it, states it may follow, state it leads to)
TRANSITIONS: dict[str, tuple[str, frozenset[State], State]] = {
    "ACK": (INBOUND, frozenset({State.SENT}), State.ACKED),
    "ACCEPT": (INBOUND, frozenset({State.SENT, State.ACKED}), State.ACCEPTED),
    "PARTIAL": (INBOUND, frozenset({State.SENT, State.ACKED}), State.PARTIAL),
    "DECLINE": (INBOUND, frozenset({State.SENT, State.ACKED, State.INFO_REQUESTED}), State.DECLINED),
    # Once FORWARDED, a FORWARD again tells the requester how the request fares where it went.
    "FORWARD": (INBOUND, frozenset({State.SENT, State.ACKED, State.FORWARDED}), State.FORWARDED),
    "INFO-REQUEST": (INBOUND, frozenset({State.ACCEPTED, State.PARTIAL, State.IN_PROGRESS}), State.INFO_REQUESTED),
    "INFO": (OUTBOUND, frozenset({State.INFO_REQUESTED}), State.IN_PROGRESS),
    "SITREP": (INBOUND, frozenset({State.ACCEPTED, State.PARTIAL, State.IN_PROGRESS}), State.IN_PROGRESS),
    "RESULT": (INBOUND, WORKING, State.COMPLETED),
    "CLOSE": (OUTBOUND, ENDED, State.CLOSED),
    "CANCEL": (OUTBOUND, ACTIVE, State.CLOSED),
    # No ACK even after the re-send: the responder's Puente pages its leads; the request stays SENT.
    "ESCALATE": (OUTBOUND, frozenset({State.SENT}), State.SENT),
}


def refusal(direction: str, state: State, kind: str) -> Phrase | None:
    """Why the peer may not send `kind` on a request of ours in `state` (None if it may).

    `direction` is our side of the request. A message out of turn never moves the request: not
    backwards, and not into a state only our side may set. A request past its deadline takes any
    answer without moving (it stays EXPIRED)."""
    sender, allowed, _ = TRANSITIONS.get(kind, (None, frozenset(), State.CLOSED))
    message = Words("message type", (kind,))
    if sender is None:
        return Phrase(N_("{message} is not an answer on a request"), {"message": message})
    if sender == direction:
        side = Phrase(N_("the requester") if direction == OUTBOUND else N_("the responder"))
        return Phrase(
            N_("only {side} sends {message}, and on this request that is us"), {"side": side, "message": message}
        )
    if state not in allowed and state != State.EXPIRED:
        return Phrase(
            N_("{message} is not allowed while the request is {state} (only when {allowed})"),
            {
                "message": message,
                "state": Words("request state", (state.value,)),
                "allowed": Words("request state", tuple(sorted(allowed))),
            },
        )
    return None


# Who may send what for our CSIRT: the on-call person woken by the page can say "we have it" (ACK);
# accepting, declining and forwarding commit the CSIRT; the rest is an analyst's work.
SENDER_ROLES = {"ACK": Role.ONCALL, "ACCEPT": Role.LEAD, "PARTIAL": Role.LEAD, "DECLINE": Role.LEAD}


def role_to_send(kind: str) -> Role:
    return SENDER_ROLES.get(kind, Role.ANALYST)


ACK_WINDOWS = {Severity.CRITICAL: timedelta(hours=1), Severity.HIGH: timedelta(hours=4)}
DEFAULT_ACK_WINDOW = timedelta(hours=24)
_DURATION = re.compile(r"^(\d+)\s*([mhd])$", re.IGNORECASE)


def ack_window(severity: str) -> timedelta:
    try:
        return ACK_WINDOWS.get(Severity(severity), DEFAULT_ACK_WINDOW)
    except ValueError:
        return DEFAULT_ACK_WINDOW


def parse_actions(value: str) -> list[str]:
    actions = [a.strip().lower() for a in value.split(",") if a.strip()]
    unknown = [a for a in actions if a not in ACTIONS]
    if not actions or unknown:
        if unknown:
            said = _("Unknown action {action!r}: use {actions}.").format(action=unknown[0], actions=", ".join(ACTIONS))
        else:
            said = _("Name at least one action: {actions}.").format(actions=", ".join(ACTIONS))
        raise InvalidInput(said)
    return list(dict.fromkeys(actions))


def parse_deadline(value: str, now: datetime) -> datetime:
    """`by=4h`, `by=30m`, `by=2d` or an ISO time such as 2026-03-01T18:00Z."""
    match = _DURATION.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return now + {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            _("Bad deadline {value!r}: use by=4h, by=30m, by=2d or an ISO time such as 2026-03-01T18:00Z.").format(
                value=value
            )
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment <= now:
        raise InvalidInput(_("The deadline {value} is already past; give a later one.").format(value=value))
    return moment


def parse_reason(value: str) -> str:
    reason = value.strip().lower()
    if reason not in DECLINE_REASONS:
        raise InvalidInput(
            _("Unknown reason {value!r}: use one of {value2}.").format(value=value, value2=", ".join(DECLINE_REASONS))
        )
    return reason
