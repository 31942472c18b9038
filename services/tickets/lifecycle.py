"""The ticket lifecycle: new -> triage -> in-progress -> escalated -> mitigated -> resolved -> closed."""

from __future__ import annotations

from puente.services.errors import Conflict, InvalidInput
from puente.storage.models import TicketStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.TRIAGE, S.IN_PROGRESS, S.ESCALATED, S.RESOLVED}),
    S.TRIAGE: frozenset({S.IN_PROGRESS, S.ESCALATED, S.RESOLVED}),
    S.IN_PROGRESS: frozenset({S.ESCALATED, S.MITIGATED, S.RESOLVED}),
    S.ESCALATED: frozenset({S.IN_PROGRESS, S.MITIGATED, S.RESOLVED}),
    S.MITIGATED: frozenset({S.IN_PROGRESS, S.ESCALATED, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset({S.IN_PROGRESS}),
}

# Leaving these states is what `reopen` means; elsewhere it is a normal move.
REOPENABLE = frozenset({S.RESOLVED, S.CLOSED})


def parse_status(value: str) -> S:
    text = value.strip().lower().replace("_", "-").replace(" ", "-")
    if text == "inprogress":
        text = "in-progress"
    try:
        return S(text)
    except ValueError:
        raise InvalidInput(f"Unknown status {value!r}: use one of {', '.join(s.value for s in S)}.") from None


def check_transition(reference: str, current: S, target: S) -> None:
    """Refuse a move the lifecycle does not allow, saying what would work instead."""
    if target == current:
        raise Conflict(f"{reference} is already {current.value}.")
    if target in ALLOWED[current]:
        return
    if target == S.CLOSED:
        raise Conflict(
            f"{reference} is {current.value}; resolve it first (/incident resolve {reference}), then close it."
        )
    if current == S.CLOSED:
        raise Conflict(f"{reference} is closed; reopen it first (/incident reopen {reference}).")
    options = ", ".join(sorted(s.value for s in ALLOWED[current]))
    raise Conflict(
        f"{reference} cannot go from {current.value} to {target.value}; from {current.value} it can go to: {options}."
    )
