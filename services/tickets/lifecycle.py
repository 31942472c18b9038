"""The ticket lifecycle: new -> triage -> in-progress -> escalated -> mitigated -> resolved -> closed, and what
follows a move (pages, a shared incident's originator)."""

from __future__ import annotations

import uuid

from puente import i18n
from puente.i18n import N_, Phrase, Words, _
from puente.services.context import Context
from puente.services.errors import Conflict, InvalidInput
from puente.services.escalation import service as escalation
from puente.services.vocabularies import aliases, words
from puente.storage.models import Ticket, TicketNote
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
    text = aliases.code_of(value, aliases.STATUS)
    if text == "inprogress":
        text = "in-progress"
    try:
        return S(text)
    except ValueError:
        raise InvalidInput(
            _("Unknown status {value!r}: use one of {statuses}.").format(
                value=value, statuses=", ".join(s.value for s in S)
            )
        ) from None


def check_transition(reference: str, current: S, target: S) -> None:
    """Refuse a move the lifecycle does not allow, saying what would work instead."""
    if target == current:
        raise Conflict(_("{reference} is already {status}.").format(reference=reference, status=words.status(current)))
    if target in ALLOWED[current]:
        return
    if target == S.CLOSED:
        raise Conflict(
            _("{reference} is {status}; resolve it first (/incident resolve {reference}), then close it.").format(
                reference=reference, status=words.status(current)
            )
        )
    if current == S.CLOSED:
        raise Conflict(
            _("{reference} is closed; reopen it first (/incident reopen {reference}).").format(reference=reference)
        )
    options = ", ".join(sorted(s.value for s in ALLOWED[current]))
    raise Conflict(
        _("{reference} cannot go from {current} to {target}; from {current} it can go to: {options}.").format(
            reference=reference, current=words.status(current), target=words.status(target), options=options
        )
    )


def follow(ctx: Context, ticket: Ticket, previous: S) -> None:
    """Pages follow the lifecycle: resolving or closing stops them, reopening restarts the regulatory clocks."""
    current = S(ticket.status)
    if current in REOPENABLE and previous not in REOPENABLE:
        moved: dict[str, i18n.Value] = {
            "reference": ticket.reference,
            "status": Words("ticket status", (current.value,)),
            "name": ctx.who,
        }
        escalation.cancel_pages(ctx, ticket, Phrase(N_("{reference} {status} by {name}"), moved))
    elif previous in REOPENABLE and current not in REOPENABLE:
        escalation.schedule_deadline_reminders(ctx, ticket)
    if ticket.producer is not None:
        # On another CSIRT's incident our status is that of our own work: it travels back to them as our note.
        ctx.session.add(
            TicketNote(
                ticket_id=ticket.id or 0,
                note_id=f"note--{uuid.uuid4()}",
                author=ctx.who,
                text=f"Our work on it: {previous.value} -> {current.value}.",
                created_at=ctx.now(),
            )
        )
