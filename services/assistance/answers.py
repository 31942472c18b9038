"""What a peer sends on a request that exists (or soon will): its answers to ours, and its follow-ups
on the one it sent us, applied in the order the peer made them.

Each side numbers its messages on a request (`sequence`). A message whose predecessor has not arrived
yet, or whose request has not (a CANCEL that overtook its RFA), is held and applied once the gap is
filled; one the peer may not send in the request's state is refused and logged, never applied. A held
message that can no longer apply (its request is closed, or the gap was never filled) is dropped in the
end, and the timeline says what was dropped.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import orjson

from puente.i18n import N_, Moment, Phrase, Value, Words, Written, in_english
from puente.services.assistance import forwarding, notices, protocol, service
from puente.services.assistance.protocol import OUTBOUND, TRANSITIONS, State
from puente.services.context import Context
from puente.services.escalation import peer_pages
from puente.services.escalation import service as escalation
from puente.services.feeds import door
from puente.services.feeds.records import StatusDetail
from puente.services.notify import single_line
from puente.stix import assistance as stix_notes
from puente.storage import assistance as request_store
from puente.storage import held_messages
from puente.storage import peers as peer_store
from puente.storage.assistance import AssistanceRequest
from puente.storage.held_messages import HeldMessage
from puente.storage.models import Ticket
from puente.storage.peers import Peer

log = logging.getLogger(__name__)

# A gap not filled in this long never will be: a peer's outbox gives up retrying after hours, and an
# operator has days to retry a message set aside at either end.
HELD_AT_MOST = timedelta(days=14)


def receive(ctx: Context, peer: Peer, message: stix_notes.Message, note: dict[str, Any]) -> AssistanceRequest | None:
    """Apply (or hold) a message on a request; None while the request itself has not arrived."""
    row = request_store.by_request_id(ctx.session, peer.id or 0, message.request_id)
    if row is None:
        _hold(ctx, peer, None, message, note, Phrase(N_("its request has not arrived yet")))
        return None
    _in_order(ctx, peer, row, message, note)
    release_held(ctx, peer, row)
    return row


def refusal_at_the_door(ctx: Context, peer: Peer, message: stix_notes.Message) -> Phrase | None:
    """Why a message posted to our TAXII inbox is refused at once (a TAXII failure), or None.

    Only a message known to be next (numbered one after the last applied) is judged here: one that
    overtook its predecessor waits for it, and one without a number is judged when it is applied."""
    if message.type in ("NOTIFY", "RFA") or message.sequence is None:
        return None
    row = request_store.by_request_id(ctx.session, peer.id or 0, message.request_id)
    if row is None or message.sequence != row.received_sequence + 1:
        return None
    why = protocol.refusal(row.direction, State(row.state), message.type)
    if why is not None:
        _log_refusal(ctx, peer, row, message, why)
    return why


def door_refusal(ctx: Context, sender_identity: str | None, obj: Any) -> str | None:
    """What the TAXII door says to an object a peer posts: why its assistance message is refused, or None
    (anything else, and anything malformed, is the door's own checks' to judge)."""
    if not isinstance(obj, dict) or obj.get("type") != "note" or sender_identity is None:
        return None
    peer = peer_store.by_identity(ctx.session, sender_identity)
    try:
        message = stix_notes.read(obj)
    except stix_notes.NotAMessage:
        return None
    if peer is None or message is None:
        return None
    why = refusal_at_the_door(ctx, peer, message)
    # In English, as TAXII errors are: the peer's operator reads it beside their server's own.
    return f"{message.type} refused: {in_english(why)}" if why else None


def refuse_out_of_turn(ctx: Context, sender_identity: str | None, screened: door.Screened) -> None:
    """At the TAXII door: the assistance messages of a POST that their sender may not send now become
    failures of its status instead of being stored."""
    kept = []
    for entry in screened.accepted:
        why = door_refusal(ctx, sender_identity, orjson.loads(entry.raw)) if entry.type == "note" else None
        if why is None:
            kept.append(entry)
        else:
            screened.failures.append(StatusDetail(entry.stix_id, entry.version, why))
    screened.accepted = kept


def release_held(ctx: Context, peer: Peer, row: AssistanceRequest) -> None:
    """Apply the held messages of the request that are now next, in order."""
    while True:
        held = held_messages.held_for(ctx.session, peer.id or 0, row.request_id)
        ready = next((h for h in held if h.sequence is None or h.sequence <= row.received_sequence + 1), None)
        if ready is None:
            return
        ctx.session.delete(ready)
        ctx.session.flush()
        message = stix_notes.read(ready.note)
        if message is not None:
            _in_order(ctx, peer, row, message, ready.note)


def drop_held_beyond_use(ctx: Context) -> int:
    """Drop the held messages that can no longer apply: their request is closed, or they waited
    HELD_AT_MOST for the message before them. Each is logged and told on the timeline. Returns how many."""
    now = ctx.now()
    dropped = held_messages.held_beyond_use(ctx.session, State.CLOSED.value, now - HELD_AT_MOST)
    for held, row in dropped:
        peer = ctx.session.get(Peer, held.peer_id)
        sender = peer.name if peer else f"peer #{held.peer_id}"
        try:
            message = stix_notes.read(held.note)
        except stix_notes.NotAMessage:
            message = None
        kind: Value = Words("message type", (message.type,)) if message else Phrase(N_("message"))
        what = Phrase(N_("{sender}'s {message}"), {"sender": sender, "message": kind})
        if held.sequence is not None:
            what = Phrase(N_("{message} number {number}"), {"message": what, "number": str(held.sequence)})
        if row is not None and row.state == State.CLOSED:
            why = Phrase(N_("the request is closed"))
        else:
            why = Phrase(
                N_("what it follows never arrived since {moment}"), {"moment": Moment(held.received_at, year=True)}
            )
        log.warning(
            "dropped %s on request %s (note %s): %s", in_english(what), held.request_id, held.note_id, in_english(why)
        )
        ctx.record(
            "assistance-held-dropped",
            Phrase(
                N_("{message} on request {request} was held and is dropped: {why}"),
                {"message": what, "request": held.request_id, "why": why},
            ),
            actor="assistance-timer",
            at=now,
            ticket_id=row.ticket_id if row else None,
            after={"note": held.note_id, "version": held.version},
        )
        ctx.session.delete(held)
    return len(dropped)


def _in_order(
    ctx: Context, peer: Peer, row: AssistanceRequest, message: stix_notes.Message, note: dict[str, Any]
) -> None:
    number = message.sequence
    if number is not None and number <= row.received_sequence:
        log.info("%s: %s number %d from %s was applied already", row.request_id, message.type, number, peer.name)
        return
    if number is not None and number > row.received_sequence + 1:
        waits: dict[str, Value] = {"peer": peer.name, "number": str(row.received_sequence + 1)}
        _hold(ctx, peer, row, message, note, Phrase(N_("it waits for {peer}'s message {number}"), waits))
        return
    _apply(ctx, peer, row, message, note)
    if number is not None:
        row.received_sequence = number
        ctx.session.add(row)


def _hold(
    ctx: Context,
    peer: Peer,
    row: AssistanceRequest | None,
    message: stix_notes.Message,
    note: dict[str, Any],
    why: Phrase,
) -> None:
    ctx.session.add(
        HeldMessage(
            peer_id=peer.id or 0,
            request_id=message.request_id,
            sequence=message.sequence,
            note_id=str(note.get("id")),
            version=str(note.get("modified") or note.get("created") or ""),
            note=note,
            received_at=ctx.now(),
        )
    )
    ctx.session.flush()
    log.info("%s sent %s on request %s early; held: %s", peer.name, message.type, message.request_id, in_english(why))
    ctx.record(
        "assistance-held",
        Phrase(
            N_("{peer}'s {message} on request {request} arrived early and is held: {why}"),
            {"peer": peer.name, "message": _type(message), "request": message.request_id, "why": why},
        ),
        actor=f"peer:{peer.name}",
        ticket_id=row.ticket_id if row else None,
    )


def _log_refusal(ctx: Context, peer: Peer, row: AssistanceRequest, message: stix_notes.Message, why: Phrase) -> None:
    log.warning(
        "%s sent %s on request %s out of turn (%s); refused", peer.name, message.type, row.request_id, in_english(why)
    )
    ctx.record(
        "assistance-refused",
        Phrase(N_("{peer}'s {message} refused: {why}"), {"peer": peer.name, "message": _type(message), "why": why}),
        actor=f"peer:{peer.name}",
        ticket_id=row.ticket_id,
        after={"request": row.request_id, "state": row.state},
    )


def _type(message: stix_notes.Message) -> Words:
    return Words("message type", (message.type,))


def _apply(ctx: Context, peer: Peer, row: AssistanceRequest, message: stix_notes.Message, note: dict[str, Any]) -> None:
    service.expire_if_due(ctx, row)
    current = State(row.state)
    why = protocol.refusal(row.direction, current, message.type)
    if why is not None:
        _log_refusal(ctx, peer, row, message, why)
        return
    target = TRANSITIONS[message.type][2]
    claimed = State(message.state) if message.state else target
    new_state: State
    if current == State.EXPIRED:
        new_state = current
    elif message.type == "RESULT" and claimed in (State.COMPLETED, State.FAILED):
        new_state = claimed
    else:
        new_state = target
    if message.responder_reference and row.direction == OUTBOUND:
        row.responder_reference = message.responder_reference
    if message.forwarded_to and row.direction == OUTBOUND:
        row.forwarded_to = message.forwarded_to
        row.forwarded_reference = message.forwarded_reference or row.forwarded_reference
        row.forwarded_state = message.forwarded_state or row.forwarded_state
    ctx.actor_name = ctx.actor_name or f"peer:{peer.name}"
    service.move(ctx, row, new_state, message.reason)
    row.ack_due_at = None  # any answer shows the peer has the request
    service.record_message(
        ctx, row, "in", message.type, str(note.get("id")), message.text, message.reason, message.lang
    )
    summary = Phrase(
        N_("{peer} sent {message}{reason}: {text} — now {state}"),
        {
            "peer": peer.name,
            "message": _type(message),
            "reason": service.given_reason(message.reason),
            "text": Written(single_line(message.text)[:150], message.lang),
            "state": Words("request state", (new_state.value,)),
        },
    )
    service.record_on_timeline(ctx, row, f"assistance-{message.type.lower()}-received", summary)
    if row.forwarded_from is not None:
        forwarding.tell_requester(ctx, row)
    ours = ctx.session.get(Ticket, row.ticket_id)
    if ours is None:
        return
    if message.type == "ESCALATE":
        peer_pages.page_for_peer_escalation(
            ctx,
            ours,
            peer.name,
            row.request_id,
            Phrase(
                N_("no ACK from us for its {reference} ({text})"),
                {"reference": row.requester_reference, "text": Written(message.text, message.lang)},
            ),
        )
        return
    if row.direction == OUTBOUND or message.type in ("CANCEL", "CLOSE"):
        # The peer answered our request, or ended its own: what was paging about the request is pointless.
        sent = Phrase(N_("{peer} sent {message}"), {"peer": peer.name, "message": _type(message)})
        escalation.stop_request_pages(ctx, row.ticket_id, row.request_id, sent)
    notices.tell_owner(ctx, ours, _answer_phrase(ours, peer, message, new_state))


def _answer_phrase(ours: Ticket, peer: Peer, message: stix_notes.Message, state: State) -> Phrase:
    """What our owner reads of a peer's answer, in their language; the peer's text as written, led by its
    language (`[pt] …`) when that is not the reader's."""
    return Phrase(
        N_("{reference}: {peer} sent {message}{reason}: {text} — now {state}"),
        {
            "reference": ours.reference,
            "peer": peer.name,
            "message": Words("message type", (message.type,)),
            "reason": service.given_reason(message.reason),
            "text": Written(single_line(message.text)[:150], message.lang),
            "state": Words("request state", (state.value,)),
        },
    )
