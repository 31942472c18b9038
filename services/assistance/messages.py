"""The messages our side sends on an assistance request: finding the request a command means, and sending
one protocol message that moves it, as the handling decision allows.

Kept apart from `service` (the request as both sides keep and show it) because sending reaches the
exchange, handling and peer-delivery domains, which showing a ticket never needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from puente import i18n
from puente.i18n import N_, Phrase, Words, Written, _
from puente.services.assistance.protocol import INBOUND, OUTBOUND, TRANSITIONS, State, role_to_send
from puente.services.assistance.service import (
    RequestView,
    expire_if_due,
    given_reason,
    move,
    peer_name_of,
    record_message,
    record_on_timeline,
    view_of,
    writers_language,
)
from puente.services.context import Context
from puente.services.errors import Conflict, InvalidInput, NotFound
from puente.services.escalation import service as escalation
from puente.services.exchange import service as exchange
from puente.services.handling import material as handling_material
from puente.services.handling.decision import Decision, Exit, Recipient, decide
from puente.services.peers import flows as peer_flows
from puente.services.peers import service as peers
from puente.services.tickets import service as tickets
from puente.services.users.service import require_role
from puente.services.vocabularies import assistance as words
from puente.services.vocabularies.taxonomy import TLP
from puente.stix import assistance as stix_notes
from puente.stix.markings import MARKING_IDS
from puente.storage import assistance as request_store
from puente.storage.assistance import AssistanceRequest
from puente.storage.models import Ticket
from puente.storage.peers import Peer


def our_identity(ctx: Context) -> str:
    return str(exchange.our_identity(ctx)["id"])


# ---- finding the request a command means ----------------------------------------------------


def find_request(ctx: Context, ticket: Ticket, direction: str | None, peer_name: str | None) -> AssistanceRequest:
    """The ticket's request on that side (either side if None) with that peer; the latest still open."""
    rows = request_store.of_ticket(ctx.session, ticket.id or 0)
    if direction is not None:
        rows = [r for r in rows if r.direction == direction]
    if peer_name:
        peer = peers.get(ctx, peer_name)
        rows = [r for r in rows if r.peer_id == peer.id]
    open_rows = [r for r in rows if r.state != State.CLOSED] or rows
    if not open_rows:
        if direction == OUTBOUND:
            missing = _("{reference} has no request of ours.")
        elif direction == INBOUND:
            missing = _("{reference} has no request from a peer.")
        else:
            missing = _("{reference} has no assistance request.")
        raise NotFound(
            missing.format(reference=ticket.reference)
            + " "
            + _("/incident assist {reference} PEER ACTION asks a peer for help.").format(reference=ticket.reference)
        )
    if len({r.peer_id for r in open_rows}) > 1:
        names = sorted({peer_name_of(ctx, r.peer_id) for r in open_rows})
        raise InvalidInput(
            _("{reference} has requests with {peers}: add peer=NAME to say which.").format(
                reference=ticket.reference, peers=", ".join(names)
            )
        )
    return open_rows[-1]


def our_side(ctx: Context, reference: str, peer_name: str | None = None) -> str:
    """OUTBOUND if we are the requester on the ticket's request, INBOUND if we are the responder."""
    return find_request(ctx, tickets.get(ctx, reference), None, peer_name).direction


# ---- one message from our side --------------------------------------------------------------


def send_message(
    ctx: Context,
    reference: str,
    kind: str,
    text: str,
    *,
    reason: str | None = None,
    outcome: State | None = None,
    peer_name: str | None = None,
    forwarded: tuple[str, str | None, State] | None = None,
) -> RequestView:
    """Send the protocol message `kind` on the ticket's request and move the request as TRANSITIONS says.

    `forwarded` (FORWARD only): the CSIRT the request went on to, its reference there once known, its state."""
    sender, allowed, target = TRANSITIONS[kind]
    require_role(ctx, role_to_send(kind), _("sending {message}").format(message=words.message(kind)))
    ticket = tickets.get(ctx, reference)
    row = find_request(ctx, ticket, sender, peer_name)
    expire_if_due(ctx, row)
    current = State(row.state)
    if current not in allowed:
        if current == State.EXPIRED and sender == INBOUND and row.deadline is not None:
            raise Conflict(
                _(
                    "The request on {reference} expired at {deadline}: its actions must not be carried out."
                    " The requester may close it or ask again."
                ).format(reference=ticket.reference, deadline=i18n.format_datetime(row.deadline, year=True))
            )
        raise Conflict(
            _("The request on {reference} is {state}; {message} is possible only when it is {states}.").format(
                reference=ticket.reference,
                state=words.state(current.value),
                message=words.message(kind),
                states=i18n.either([words.state(s) for s in sorted(allowed)]),
            )
        )
    if kind in ("INFO", "INFO-REQUEST", "SITREP", "RESULT") and not text.strip():
        raise InvalidInput(
            _("{message} needs text: /incident {command} {reference} <what you need / found / did>").format(
                message=words.message(kind), command=kind.lower().split("-")[0], reference=ticket.reference
            )
        )
    view = send(ctx, row, kind, text, new_state=outcome or target, reason=reason, forwarded=forwarded)
    sent = Phrase(N_("{message} sent by {name}"), {"message": Words("message type", (kind,)), "name": ctx.who})
    escalation.stop_request_pages(ctx, row.ticket_id, row.request_id, sent)
    return view


def send(
    ctx: Context,
    row: AssistanceRequest,
    kind: str,
    text: str,
    *,
    new_state: State,
    reason: str | None = None,
    forwarded: tuple[str, str | None, State] | None = None,
) -> RequestView:
    """Queue message `kind` for the peer, numbered after our previous one, and move the request to `new_state`
    (`forwarded`: see send_message)."""
    peer = ctx.session.get(Peer, row.peer_id)
    assert peer is not None
    now = ctx.now()
    language = writers_language(ctx, text)
    if row.direction == INBOUND and row.responder_reference is None:
        row.responder_reference = _reference_of(ctx, row)
    row.sent_sequence += 1
    message = stix_notes.Message(
        kind,
        row.request_id,
        row.requester_reference,
        row.incident_id,
        text.strip() or kind,
        responder_reference=row.responder_reference,
        state=new_state.value,
        reason=reason,
        forwarded_to=forwarded[0] if forwarded else None,
        forwarded_reference=forwarded[1] if forwarded else None,
        forwarded_state=forwarded[2].value if forwarded else None,
        sequence=row.sent_sequence,
        lang=language,
    )
    note = as_note(ctx, row, message, at=now)
    move(ctx, row, new_state, reason)
    queue_note(ctx, row, peer, kind, note)
    record_message(ctx, row, "out", kind, note["id"], text.strip(), reason, language)
    record_on_timeline(
        ctx,
        row,
        f"assistance-{kind.lower()}",
        Phrase(
            N_("{message} to {peer}{reason}{text}"),
            {
                "message": Words("message type", (kind,)),
                "peer": peer.name,
                "reason": given_reason(reason),
                "text": Phrase(N_(": {text}"), {"text": Written(text.strip()[:150], language)}) if text.strip() else "",
            },
        ),
    )
    return view_of(ctx, row)


def _reference_of(ctx: Context, row: AssistanceRequest) -> str:
    ticket = ctx.session.get(Ticket, row.ticket_id)
    assert ticket is not None
    return ticket.reference


def as_note(
    ctx: Context, row: AssistanceRequest, message: stix_notes.Message, *, at: datetime, note_id: str | None = None
) -> dict[str, Any]:
    """The message as a STIX note from us, marked with the request's TLP."""
    return stix_notes.note(
        message, created_by=our_identity(ctx), marking_ref=MARKING_IDS.get(row.tlp), at=at, note_id=note_id
    )


def decision_for(ctx: Context, ticket: Ticket, exit: Exit, peer: Peer, actions: Sequence[str] = ()) -> Decision:
    """The handling decision for a request's message about `ticket` to `peer`; refused, it says why."""
    return decide(handling_material.of_ticket(ctx, ticket), exit, [Recipient(peer.name)], actions).require()


def queue_note(
    ctx: Context,
    row: AssistanceRequest,
    peer: Peer,
    kind: str,
    note: dict[str, Any],
    extra: tuple[dict[str, Any], ...] = (),
    *,
    exit: Exit | None = None,
    actions: Sequence[str] = (),
) -> None:
    """Send the note (and the objects it needs, such as the incident) to the peer, as the handling decision
    for `exit` (a request of ours by default, or our answer on a peer's) and the requested `actions` allows."""
    ticket = ctx.session.get(Ticket, row.ticket_id)
    assert ticket is not None
    decision = decision_for(
        ctx, ticket, exit or (Exit.ASSIST if row.direction == OUTBOUND else Exit.CONTRIBUTION), peer, actions
    )
    ticket_ref = (
        row.requester_reference if row.direction == OUTBOUND else (row.responder_reference or row.requester_reference)
    )
    # Messages go to the peer's own collection whatever the ticket's TLP, never to a shared one.
    level = max(TLP(row.tlp), TLP.AMBER, key=lambda t: t.rank)
    peer_flows.send_to_peers(
        ctx,
        decision,
        [peer],
        [*extra, note],
        level,
        definitions=[stix_notes.EXTENSION_DEFINITION],
        ticket_id=row.ticket_id,
        summary=Phrase(
            N_("{message} {reference}"), {"message": Words("message type", (kind,)), "reference": ticket_ref}
        ),
    )
