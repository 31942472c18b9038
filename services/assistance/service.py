"""Assistance requests as both sides keep them: finding the request on a ticket, showing it, and
sending one protocol message that moves it (DESIGN.md, "Mutual assistance protocol").

The two sides build on this: `requester` (we ask a peer), `responder` (a peer asked us); what a
peer sends us arrives through `inbound`, and the timers in `scheduled`. Each message is a STIX note
queued for the peer, recorded on the request and on the ticket's timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from puente import i18n
from puente.i18n import Written, _
from puente.services.assistance.protocol import ACTIVE, INBOUND, OUTBOUND, TRANSITIONS, State, role_to_send
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
from puente.storage.assistance import AssistanceMessage, AssistanceRequest
from puente.storage.models import Ticket
from puente.storage.peers import Peer


@dataclass(frozen=True)
class RequestView:
    """A request as `show` and the replies present it, to a reader in time zone `zone`."""

    request: AssistanceRequest
    peer: str
    ticket: str
    messages: list[AssistanceMessage]
    zone: str | None = None

    @property
    def said(self) -> list[str]:
        """What each side wrote on the request, oldest first: `RFA from csirt-co: Please take down …`, the
        text led by the language it was written in when that is not the reader's (`[es] Por favor …`)."""
        lines = []
        for m in self.messages:
            text = m.text.strip()
            if not text and not m.reason:
                continue
            if m.direction == "in":
                who = _("{message} from {peer}").format(message=words.message(m.type), peer=self.peer)
            else:
                who = _("{message} to {peer} by {author}").format(
                    message=words.message(m.type), peer=self.peer, author=m.author
                )
            reason = f" ({words.reason(m.reason)})" if m.reason else ""
            if text:
                lines.append(_("{who}: {text}").format(who=who + reason, text=Written(text, m.language)))
            else:
                lines.append(who + reason)
        return lines

    @property
    def line(self) -> str:
        r = self.request
        if r.direction == OUTBOUND:
            side = _("asked {peer}").format(peer=self.peer)
            other = r.responder_reference
        else:
            side = _("asked by {peer}").format(peer=self.peer)
            other = r.requester_reference
        text = _("{side} ({ticket}): {actions} — {state}").format(
            side=side, ticket=other or _("no ticket yet"), actions=words.actions(r.actions), state=words.state(r.state)
        )
        if r.forwarded_to:
            where = f"{r.forwarded_to} {r.forwarded_reference}" if r.forwarded_reference else r.forwarded_to
            text += f" → {where}: {words.state(r.forwarded_state or 'SENT')}"
        if r.reason:
            text += f" ({words.reason(r.reason)})"
        if r.deadline:
            text += ", " + _("by {deadline}").format(deadline=i18n.format_datetime(r.deadline, self.zone, year=True))
        if r.state == State.SENT and r.ack_due_at and r.direction == OUTBOUND:
            text += ", " + _("ACK due {due}").format(due=i18n.format_datetime(r.ack_due_at, self.zone))
        return text


def our_identity(ctx: Context) -> str:
    return str(exchange.our_identity(ctx)["id"])


def view_of(ctx: Context, row: AssistanceRequest) -> RequestView:
    ticket = ctx.session.get(Ticket, row.ticket_id)
    return RequestView(
        row,
        _peer_name(ctx, row.peer_id),
        ticket.reference if ticket else "?",
        request_store.messages(ctx.session, row.id or 0),
        ctx.actor.timezone if ctx.actor else None,
    )


def of_ticket(ctx: Context, ticket: Ticket) -> list[RequestView]:
    rows = request_store.of_ticket(ctx.session, ticket.id or 0)
    for row in rows:
        expire_if_due(ctx, row)
    return [view_of(ctx, row) for row in rows]


def _peer_name(ctx: Context, peer_id: int) -> str:
    peer = ctx.session.get(Peer, peer_id)
    return peer.name if peer else f"peer #{peer_id}"


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
        names = sorted({_peer_name(ctx, r.peer_id) for r in open_rows})
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
                ).format(reference=ticket.reference, deadline=ctx.when(row.deadline, year=True))
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
    escalation.stop_request_pages(ctx, row.ticket_id, row.request_id, f"{kind} sent by {ctx.who}")
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
        f"{kind} to {peer.name}"
        + (f" ({reason})" if reason else "")
        + (f": {text.strip()[:150]}" if text.strip() else ""),
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
        summary=f"{kind} {ticket_ref}",
    )


# ---- the request's state and records --------------------------------------------------------


def move(ctx: Context, row: AssistanceRequest, state: State, reason: str | None = None) -> None:
    row.state = state.value
    if reason:
        row.reason = reason
    row.updated_at = ctx.now()
    ctx.session.add(row)


def expire_if_due(ctx: Context, row: AssistanceRequest) -> bool:
    """Past its deadline an unfinished request EXPIRES: its actions must no longer be carried out."""
    if row.deadline is None or State(row.state) not in ACTIVE or ctx.now() < row.deadline:
        return False
    move(ctx, row, State.EXPIRED)
    row.ack_due_at = None
    escalation.stop_request_pages(ctx, row.ticket_id, row.request_id, "the request expired")
    record_on_timeline(
        ctx,
        row,
        "assistance-expired",
        f"deadline {row.deadline:%Y-%m-%d %H:%M} UTC passed: the requested actions must not be carried out",
    )
    return True


def record_message(
    ctx: Context,
    row: AssistanceRequest,
    way: str,
    kind: str,
    note_id: str,
    text: str,
    reason: str | None = None,
    language: str | None = None,
) -> None:
    """Record a message on the request; `way` is "out" for ours, "in" for the peer's; `language` is what
    its text is written in."""
    ctx.session.add(
        AssistanceMessage(
            request_row_id=row.id or 0,
            direction=way,
            type=kind,
            note_id=note_id,
            author=ctx.who,
            text=text,
            language=language if text else None,
            reason=reason,
            at=ctx.now(),
        )
    )


def writers_language(ctx: Context, text: str) -> str | None:
    """The language a person writing `text` now writes in: the one they read Puente in. Puente's own
    workers write no free text of anyone's."""
    return i18n.current() if ctx.actor is not None and text.strip() else None


def record_on_timeline(ctx: Context, row: AssistanceRequest, action: str, summary: str) -> None:
    ctx.record(
        action=action,
        ticket_id=row.ticket_id,
        summary=summary,
        after={"request": row.request_id, "state": row.state},
    )
