"""The mutual-assistance protocol between peer CSIRTs (DESIGN.md, "Mutual assistance protocol").

Both sides keep the same request, keyed by its request id: the requester (direction `outbound`)
sends RFA, INFO, CLOSE and CANCEL; the responder (`inbound`) sends ACK, ACCEPT, PARTIAL, DECLINE,
FORWARD, INFO-REQUEST, SITREP and RESULT. Each message is a STIX note queued in the outbox, and
each moves the request along the same transition table on both sides.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from puente.services.context import Context
from puente.services.errors import Conflict, InvalidInput, NotFound
from puente.services.escalation import service as escalation
from puente.services.exchange import service as stix_exchange
from puente.services.feeds import collections
from puente.services.notify import Notice, Recipient
from puente.services.peers import outbox as delivery
from puente.services.peers import service as peers
from puente.services.tickets import service as tickets
from puente.services.users.service import as_recipients, require_role
from puente.services.vocabularies.taxonomy import TLP, Severity
from puente.stix import assistance as protocol
from puente.stix.markings import MARKING_IDS
from puente.storage import assistance as request_store
from puente.storage import peers as peer_store
from puente.storage import tickets as ticket_store
from puente.storage import timeline
from puente.storage import users as user_store
from puente.storage.assistance import AssistanceMessage, AssistanceRequest
from puente.storage.models import Role, Ticket, User
from puente.storage.peers import Peer, TicketLink

log = logging.getLogger(__name__)

# The protocol's vocabularies (codes on the wire, defined with the STIX message format).
ACTIONS = protocol.ACTIONS
DECLINE_REASONS = protocol.DECLINE_REASONS

OUTBOUND = "outbound"
INBOUND = "inbound"


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
    "FORWARD": (INBOUND, frozenset({State.SENT, State.ACKED}), State.FORWARDED),
    "INFO-REQUEST": (INBOUND, frozenset({State.ACCEPTED, State.PARTIAL, State.IN_PROGRESS}), State.INFO_REQUESTED),
    "INFO": (OUTBOUND, frozenset({State.INFO_REQUESTED}), State.IN_PROGRESS),
    "SITREP": (INBOUND, frozenset({State.ACCEPTED, State.PARTIAL, State.IN_PROGRESS}), State.IN_PROGRESS),
    "RESULT": (INBOUND, WORKING, State.COMPLETED),
    "CLOSE": (OUTBOUND, ENDED, State.CLOSED),
    "CANCEL": (OUTBOUND, ACTIVE, State.CLOSED),
}

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
        start = f"Unknown action {unknown[0]!r}: use" if unknown else "Name at least one action:"
        raise InvalidInput(f"{start} {', '.join(ACTIONS)}.")
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
            f"Bad deadline {value!r}: use by=4h, by=30m, by=2d or an ISO time such as 2026-03-01T18:00Z."
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment <= now:
        raise InvalidInput(f"The deadline {value} is already past; give a later one.")
    return moment


def parse_reason(value: str) -> str:
    reason = value.strip().lower()
    if reason not in DECLINE_REASONS:
        raise InvalidInput(f"Unknown reason {value!r}: use one of {', '.join(DECLINE_REASONS)}.")
    return reason


@dataclass(frozen=True)
class RequestView:
    """A request as `show` and the replies present it."""

    request: AssistanceRequest
    peer: str
    ticket: str
    messages: list[AssistanceMessage]

    @property
    def line(self) -> str:
        r = self.request
        side = f"asked {self.peer}" if r.direction == OUTBOUND else f"asked by {self.peer}"
        other = r.responder_reference if r.direction == OUTBOUND else r.requester_reference
        text = f"{side} ({other or 'no ticket yet'}): {', '.join(r.actions)} — {r.state}"
        if r.reason:
            text += f" ({r.reason})"
        if r.deadline:
            text += f", by {r.deadline:%Y-%m-%d %H:%M} UTC"
        if r.state == State.SENT and r.ack_due_at and r.direction == OUTBOUND:
            text += f", ACK due {r.ack_due_at:%H:%M} UTC"
        return text


def our_identity(ctx: Context) -> str:
    return str(stix_exchange.our_identity(ctx)["id"])


def _marking(tlp: str) -> str | None:
    return MARKING_IDS.get(tlp)


def incident_object(ctx: Context, ticket: Ticket) -> dict[str, Any]:
    """The ticket's incident as the STIX mapping builds it (a new version only if the ticket changed)."""
    objects, _ = stix_exchange.current_objects(ctx, ticket)
    return next(o for o in objects if o["id"] == ticket.incident_id)


def send_to_peer(
    ctx: Context, peer: Peer, objects: list[dict[str, Any]], tlp: str, *, ticket_id: int | None, summary: str
) -> None:
    """Push `objects` to the peer (outbox) and publish them in its collection on our server.

    Definitions are published, not pushed (see `delivery.pushable`).
    Messages go to the peer's own collection whatever the ticket's TLP, never to a shared one.
    """
    ours = stix_exchange.our_identity(ctx)
    delivery.enqueue(ctx, peer, delivery.pushable([ours, *objects], ours["id"]), ticket_id=ticket_id, summary=summary)
    level = max(TLP(tlp), TLP.AMBER, key=lambda t: t.rank)
    collections.publish(ctx, [protocol.EXTENSION_DEFINITION, ours, *objects], level, [peer.name])


def _require(ctx: Context, role: Role, doing: str) -> None:
    require_role(ctx, role, doing)


# ---- the requester's side -------------------------------------------------------------------


def request(
    ctx: Context, reference: str, peer_name: str, actions: list[str], deadline: datetime | None = None, text: str = ""
) -> RequestView:
    """Send an RFA to a peer about one of our tickets."""
    _require(ctx, Role.ANALYST, "asking a peer for assistance")
    ticket = tickets.get(ctx, reference)
    peer = peers.get(ctx, peer_name)
    if not actions:
        raise InvalidInput("Name at least one action: " + ", ".join(ACTIONS) + ".")
    now = ctx.now()
    row = AssistanceRequest(
        request_id=str(uuid.uuid4()),
        direction=OUTBOUND,
        peer_id=peer.id or 0,
        ticket_id=ticket.id or 0,
        requester_reference=ticket.reference,
        incident_id=ticket.incident_id,
        note_id=f"note--{uuid.uuid4()}",
        actions=list(actions),
        text=text.strip(),
        severity=ticket.severity,
        tlp=ticket.tlp,
        state=State.SENT.value,
        deadline=deadline,
        ack_due_at=now + ack_window(ticket.severity),
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    note = _rfa_note(ctx, row, now)
    _queue(ctx, row, peer, "RFA", note, extra=(incident_object(ctx, ticket),))
    _log(ctx, row, "out", "RFA", note["id"], row.text)
    _timeline(
        ctx,
        row,
        "assistance-requested",
        f"asked {peer.name} to {', '.join(actions)}" + (f" by {deadline:%Y-%m-%d %H:%M} UTC" if deadline else ""),
    )
    return _view(ctx, row)


def _rfa_note(ctx: Context, row: AssistanceRequest, at: datetime) -> dict[str, Any]:
    message = protocol.Message(
        "RFA",
        row.request_id,
        row.requester_reference,
        row.incident_id,
        row.text or f"Actions requested: {', '.join(row.actions)}.",
        actions=tuple(row.actions),
        deadline=row.deadline,
        state=State.SENT.value,
        severity=row.severity,
    )
    return protocol.note(
        message, created_by=our_identity(ctx), marking_ref=_marking(row.tlp), at=at, note_id=row.note_id
    )


def close(ctx: Context, reference: str, text: str = "", peer_name: str | None = None) -> RequestView:
    return _send(ctx, reference, "CLOSE", text, peer_name=peer_name)


def cancel(ctx: Context, reference: str, text: str = "", peer_name: str | None = None) -> RequestView:
    return _send(ctx, reference, "CANCEL", text, peer_name=peer_name)


# ---- the responder's side -------------------------------------------------------------------


def awaits_ack(ctx: Context, reference: str) -> bool:
    """Whether the ticket has a peer's request we have not acknowledged yet."""
    ticket = ticket_store.by_reference(ctx.session, reference.strip())
    if ticket is None:
        return False
    return any(
        r.direction == INBOUND and r.state == State.SENT for r in request_store.of_ticket(ctx.session, ticket.id or 0)
    )


def acknowledge(ctx: Context, reference: str) -> RequestView:
    """ACK the inbound request on this ticket: we have it and someone is looking."""
    return _send(ctx, reference, "ACK", f"Received by {ctx.who}.")


def accept(ctx: Context, reference: str, text: str = "", partial: bool = False) -> RequestView:
    return _send(ctx, reference, "PARTIAL" if partial else "ACCEPT", text)


def decline(ctx: Context, reference: str, reason: str, text: str = "") -> RequestView:
    return _send(ctx, reference, "DECLINE", text, reason=parse_reason(reason))


def sitrep(ctx: Context, reference: str, text: str) -> RequestView:
    return _send(ctx, reference, "SITREP", text)


def result(ctx: Context, reference: str, text: str, failed: bool = False) -> RequestView:
    return _send(ctx, reference, "RESULT", text, outcome=State.FAILED if failed else State.COMPLETED)


def forward(ctx: Context, reference: str, to: str, text: str = "") -> RequestView:
    return _send(ctx, reference, "FORWARD", f"Forwarded to {to}. {text}".strip())


def info(ctx: Context, reference: str, text: str, peer_name: str | None = None) -> RequestView:
    """`/incident info`: the responder asks for information, the requester gives it."""
    row = _find(ctx, tickets.get(ctx, reference), None, peer_name)
    return _send(ctx, reference, "INFO-REQUEST" if row.direction == INBOUND else "INFO", text, peer_name=peer_name)


# ---- one message, either side ---------------------------------------------------------------


def _find(ctx: Context, ticket: Ticket, direction: str | None, peer_name: str | None) -> AssistanceRequest:
    rows = request_store.of_ticket(ctx.session, ticket.id or 0)
    if direction is not None:
        rows = [r for r in rows if r.direction == direction]
    if peer_name:
        peer = peers.get(ctx, peer_name)
        rows = [r for r in rows if r.peer_id == peer.id]
    open_rows = [r for r in rows if r.state != State.CLOSED] or rows
    if not open_rows:
        what = {OUTBOUND: "request of ours", INBOUND: "request from a peer", None: "assistance request"}[direction]
        raise NotFound(
            f"{ticket.reference} has no {what}. /incident assist {ticket.reference} PEER ACTION asks a peer for help."
        )
    if len({r.peer_id for r in open_rows}) > 1:
        names = sorted({_peer_name(ctx, r.peer_id) for r in open_rows})
        raise InvalidInput(f"{ticket.reference} has requests with {', '.join(names)}: add peer=NAME to say which.")
    return open_rows[-1]


def _send(
    ctx: Context,
    reference: str,
    kind: str,
    text: str,
    *,
    reason: str | None = None,
    outcome: State | None = None,
    peer_name: str | None = None,
) -> RequestView:
    sender, allowed, target = TRANSITIONS[kind]
    _require(ctx, Role.LEAD if kind in ("ACCEPT", "PARTIAL", "DECLINE") else Role.ANALYST, f"sending {kind}")
    ticket = tickets.get(ctx, reference)
    row = _find(ctx, ticket, sender, peer_name)
    expire_if_due(ctx, row)
    current = State(row.state)
    if current not in allowed:
        if current == State.EXPIRED and sender == INBOUND:
            raise Conflict(
                f"The request on {ticket.reference} expired at "
                f"{row.deadline:%Y-%m-%d %H:%M} UTC: its actions must not be carried out."
                f" The requester may close it or ask again."
            )
        raise Conflict(
            f"The request on {ticket.reference} is {current.value}; {kind} "
            f"is possible only when it is {' or '.join(sorted(allowed))}."
        )
    if kind in ("INFO", "INFO-REQUEST", "SITREP", "RESULT") and not text.strip():
        raise InvalidInput(
            f"{kind} needs text: /incident {kind.lower().split('-')[0]} "
            f"{ticket.reference} <what you need / found / did>"
        )
    new_state = outcome or target
    peer = ctx.session.get(Peer, row.peer_id)
    assert peer is not None
    now = ctx.now()
    if row.direction == INBOUND and row.responder_reference is None:
        row.responder_reference = ticket.reference
    message = protocol.Message(
        kind,
        row.request_id,
        row.requester_reference,
        row.incident_id,
        text.strip() or kind,
        responder_reference=row.responder_reference,
        state=new_state.value,
        reason=reason,
    )
    note = protocol.note(message, created_by=our_identity(ctx), marking_ref=_marking(row.tlp), at=now)
    _move(ctx, row, new_state, reason)
    _queue(ctx, row, peer, kind, note)
    _log(ctx, row, "out", kind, note["id"], text.strip(), reason)
    _timeline(
        ctx,
        row,
        f"assistance-{kind.lower()}",
        f"{kind} to {peer.name}"
        + (f" ({reason})" if reason else "")
        + (f": {text.strip()[:150]}" if text.strip() else ""),
    )
    return _view(ctx, row)


def _move(ctx: Context, row: AssistanceRequest, state: State, reason: str | None = None) -> None:
    row.state = state.value
    if reason:
        row.reason = reason
    row.updated_at = ctx.now()
    ctx.session.add(row)


def _queue(
    ctx: Context,
    row: AssistanceRequest,
    peer: Peer,
    kind: str,
    note: dict[str, Any],
    extra: tuple[dict[str, Any], ...] = (),
) -> None:
    ticket_ref = (
        row.requester_reference if row.direction == OUTBOUND else (row.responder_reference or row.requester_reference)
    )
    send_to_peer(ctx, peer, [*extra, note], row.tlp, ticket_id=row.ticket_id, summary=f"{kind} {ticket_ref}")


def _log(
    ctx: Context, row: AssistanceRequest, way: str, kind: str, note_id: str, text: str, reason: str | None = None
) -> None:
    """Record a message on the request; `way` is "out" for ours, "in" for the peer's."""
    ctx.session.add(
        AssistanceMessage(
            request_row_id=row.id or 0,
            direction=way,
            type=kind,
            note_id=note_id,
            author=ctx.who,
            text=text,
            reason=reason,
            at=ctx.now(),
        )
    )


def _timeline(ctx: Context, row: AssistanceRequest, action: str, summary: str) -> None:
    timeline.record(
        ctx.session,
        at=ctx.now(),
        actor=ctx.who,
        action=action,
        ticket_id=row.ticket_id,
        summary=summary,
        after={"request": row.request_id, "state": row.state},
    )


def _peer_name(ctx: Context, peer_id: int) -> str:
    peer = ctx.session.get(Peer, peer_id)
    return peer.name if peer else f"peer #{peer_id}"


def _view(ctx: Context, row: AssistanceRequest) -> RequestView:
    ticket = ctx.session.get(Ticket, row.ticket_id)
    return RequestView(
        row,
        _peer_name(ctx, row.peer_id),
        ticket.reference if ticket else "?",
        request_store.messages(ctx.session, row.id or 0),
    )


def of_ticket(ctx: Context, ticket: Ticket) -> list[RequestView]:
    rows = request_store.of_ticket(ctx.session, ticket.id or 0)
    for row in rows:
        expire_if_due(ctx, row)
    return [_view(ctx, row) for row in rows]


# ---- what arrives from peers ----------------------------------------------------------------


def receive(
    ctx: Context, peer: Peer, message: protocol.Message, note: dict[str, Any], incidents: dict[str, dict[str, Any]]
) -> AssistanceRequest | None:
    """Apply a message from `peer`: an RFA opens a linked ticket and pages; an answer moves our request."""
    if message.type == "NOTIFY":
        ticket = linked_ticket(
            ctx, peer, message.incident_id, incidents.get(message.incident_id), message.requester_reference
        )
        note_from_peer(ctx, ticket, f"{peer.name} notified: {message.text}")
        return None
    if message.type == "RFA":
        return _receive_rfa(ctx, peer, message, note, incidents)
    row = request_store.by_request_id(ctx.session, peer.id or 0, message.request_id)
    if row is None:
        log.warning("%s sent %s for unknown request %s; ignored", peer.name, message.type, message.request_id)
        return None
    sender, allowed, target = TRANSITIONS.get(message.type, (None, frozenset(), State.CLOSED))
    if sender is None or sender == row.direction:
        log.warning("%s sent %s, which only our side may send; ignored", peer.name, message.type)
        return None
    expire_if_due(ctx, row)
    current = State(row.state)
    claimed = State(message.state) if message.state else target
    if current in allowed:
        new_state = claimed if message.type == "RESULT" and claimed in (State.COMPLETED, State.FAILED) else target
    elif current == State.EXPIRED:
        new_state = current
    else:
        # The sender checked the order on its side; its stated state is the one both should share.
        log.info("%s: %s arrived while %s; taking the peer's state %s", row.request_id, message.type, current, claimed)
        new_state = claimed
    if message.responder_reference and row.direction == OUTBOUND:
        row.responder_reference = message.responder_reference
    ctx.actor_name = ctx.actor_name or f"peer:{peer.name}"
    _move(ctx, row, new_state, message.reason)
    row.ack_due_at = None  # any answer shows the peer has the request
    _log(ctx, row, "in", message.type, str(note.get("id")), message.text, message.reason)
    summary = (
        f"{peer.name} sent {message.type}"
        + (f" ({message.reason})" if message.reason else "")
        + f": {message.text[:150]} — now {new_state.value}"
    )
    _timeline(ctx, row, f"assistance-{message.type.lower()}-received", summary)
    ours = ctx.session.get(Ticket, row.ticket_id)
    if ours is not None:
        _tell_owner(ctx, ours, Notice(f"{ours.reference}: {summary}", ticket=ours.reference))
    return row


def _receive_rfa(
    ctx: Context, peer: Peer, message: protocol.Message, note: dict[str, Any], incidents: dict[str, dict[str, Any]]
) -> AssistanceRequest:
    row = request_store.by_request_id(ctx.session, peer.id or 0, message.request_id)
    ctx.actor_name = ctx.actor_name or f"peer:{peer.name}"
    if row is not None:
        # A re-sent RFA (new version of the same note): the peer has not seen our ACK; remind our leads.
        if row.state == State.SENT:
            ticket = ctx.session.get(Ticket, row.ticket_id)
            if ticket is not None:
                _timeline(
                    ctx, row, "assistance-request-resent", f"{peer.name} re-sent its request: not acknowledged yet"
                )
                _page(ctx, ticket, row, peer, reminder=True)
        return row
    ticket = linked_ticket(
        ctx,
        peer,
        message.incident_id,
        incidents.get(message.incident_id),
        message.requester_reference,
        message.severity,
        for_request=True,
    )
    now = ctx.now()
    row = AssistanceRequest(
        request_id=message.request_id,
        direction=INBOUND,
        peer_id=peer.id or 0,
        ticket_id=ticket.id or 0,
        requester_reference=message.requester_reference,
        responder_reference=ticket.reference,
        incident_id=message.incident_id,
        note_id=str(note.get("id")),
        actions=list(message.actions),
        text=message.text,
        severity=message.severity or ticket.severity,
        tlp=ticket.tlp,
        state=State.SENT.value,
        deadline=message.deadline,
        ack_due_at=None,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    _log(ctx, row, "in", "RFA", row.note_id, message.text)
    summary = f"{peer.name} asks us to {', '.join(message.actions) or 'assist'} on their {message.requester_reference}"
    if message.deadline:
        summary += f" by {message.deadline:%Y-%m-%d %H:%M} UTC"
    _timeline(ctx, row, "assistance-request-received", summary)
    _page(ctx, ticket, row, peer, reminder=False)
    return row


def linked_ticket(
    ctx: Context,
    peer: Peer,
    incident_id: str,
    incident: dict[str, Any] | None,
    peer_reference: str | None,
    severity: str | None = None,
    *,
    for_request: bool = False,
) -> Ticket:
    """Our ticket for the peer's incident, opened on first sight and linked to it."""
    link = peer_store.link_for_incident(ctx.session, peer.id or 0, incident_id)
    if link is not None:
        found = ctx.session.get(Ticket, link.ticket_id)
        assert found is not None
        return found
    title = (incident or {}).get("name") or f"Assistance for {peer.name} {peer_reference or ''}".strip()
    reference = (protocol.reference_of(incident) if incident else None) or peer_reference
    tlp = _tlp_of(incident) or TLP.AMBER
    try:
        level = Severity(severity) if severity else Severity.MEDIUM
    except ValueError:
        level = Severity.MEDIUM
    countries = list(dict.fromkeys([ctx.settings.csirt_country, *peer.countries]))
    draft = tickets.TicketDraft(
        title=f"[{peer.name} {reference}] {title}" if reference else str(title),
        description=str((incident or {}).get("description", "")),
        severity=level,
        countries=countries,
        tlp=tlp,
    )
    ticket = tickets.open_for_peer(ctx, draft, peer.name, page_severity=not for_request)
    ctx.session.add(
        TicketLink(
            ticket_id=ticket.id or 0,
            peer_id=peer.id or 0,
            peer_reference=reference,
            peer_incident_id=incident_id,
            created_at=ctx.now(),
        )
    )
    ctx.session.flush()
    return ticket


def _tlp_of(incident: dict[str, Any] | None) -> TLP | None:
    by_marking = {ref: TLP(level) for level, ref in MARKING_IDS.items()}
    for ref in (incident or {}).get("object_marking_refs") or []:
        if ref in by_marking:
            return by_marking[ref]
    return None


def note_from_peer(ctx: Context, ticket: Ticket, text: str) -> None:
    timeline.record(
        ctx.session, at=ctx.now(), actor=ctx.who, action="peer-notified", ticket_id=ticket.id, summary=text[:300]
    )


# ---- reaching people -----------------------------------------------------------------------


def _leads(ctx: Context) -> list[Recipient]:
    people = user_store.by_role(ctx.session, [Role.LEAD.value, Role.ADMIN.value]) or user_store.by_role(
        ctx.session, [Role.ANALYST.value]
    )
    return as_recipients(ctx, people)


def _notify(ctx: Context, recipients: list[Recipient], notice: Notice) -> None:
    notifiers = list(ctx.runtime.notifiers)

    def send() -> None:
        for recipient in recipients:
            for notifier in notifiers:
                if notifier.can_reach(recipient):
                    try:
                        notifier.send(recipient, notice)
                    except Exception:  # one unreachable person must not keep the others from being told
                        log.exception("could not notify %s on %s", recipient.name, notifier.platform)
                    break

    delivery.after_commit(ctx, send)


def _page(ctx: Context, ticket: Ticket, row: AssistanceRequest, peer: Peer, reminder: bool) -> None:
    """An incoming RFA pages our on-call by the escalation policy of its severity; a re-send pages
    again only if nobody is being paged for the ticket any more."""
    if reminder and escalation.open_pages(ctx, ticket):
        return
    summary = (
        f"{peer.name} ({peer.contact or 'no contact on file'}) asks us "
        f"to {', '.join(row.actions)} on their {row.requester_reference}"
    )
    if row.deadline:
        summary += f" by {row.deadline:%Y-%m-%d %H:%M} UTC"
    if reminder:
        summary += " (re-sent: not acknowledged yet)"
    escalation.page_for_assistance_request(ctx, ticket, f"{summary}. /incident ack {ticket.reference} takes it.")


def _tell_owner(ctx: Context, ticket: Ticket, notice: Notice) -> None:
    owner = ctx.session.get(User, ticket.owner_id) if ticket.owner_id else None
    _notify(ctx, as_recipients(ctx, [owner]) if owner else _leads(ctx), notice)


# ---- timers --------------------------------------------------------------------------------


def expire_if_due(ctx: Context, row: AssistanceRequest) -> bool:
    """Past its deadline an unfinished request EXPIRES: its actions must no longer be carried out."""
    if row.deadline is None or State(row.state) not in ACTIVE or ctx.now() < row.deadline:
        return False
    _move(ctx, row, State.EXPIRED)
    row.ack_due_at = None
    _timeline(
        ctx,
        row,
        "assistance-expired",
        f"deadline {row.deadline:%Y-%m-%d %H:%M} UTC passed: the requested actions must not be carried out",
    )
    return True


def run_timers(ctx: Context) -> int:
    """Expire requests past their deadline; re-send an RFA whose ACK is late, then escalate. Returns changes made."""
    now = ctx.now()
    changed = 0
    for row in request_store.in_states(ctx.session, [s.value for s in ACTIVE]):
        if expire_if_due(ctx, row):
            changed += 1
            continue
        if row.direction != OUTBOUND or row.state != State.SENT or row.ack_due_at is None or row.ack_due_at > now:
            continue
        peer = ctx.session.get(Peer, row.peer_id)
        assert peer is not None
        if not row.ack_resent:
            note = _rfa_note(ctx, row, now)  # a new version of the same note, so the peer sees it again
            _queue(ctx, row, peer, "RFA", note)
            row.ack_resent = True
            row.ack_due_at = now + ack_window(row.severity)
            ctx.session.add(row)
            _timeline(ctx, row, "assistance-resent", f"{peer.name} did not acknowledge in time; RFA re-sent")
        else:
            row.ack_due_at = None
            ctx.session.add(row)
            backup = peer.backup_contact or peer.contact or "no contact on file"
            _timeline(
                ctx,
                row,
                "assistance-escalated",
                f"{peer.name} still has not acknowledged; escalated to our leads (peer backup contact: {backup})",
            )
            ticket = ctx.session.get(Ticket, row.ticket_id)
            assert ticket is not None
            escalation.page_for_missed_ack(
                ctx,
                ticket,
                peer.name,
                f"no ACK for our request ({', '.join(row.actions)}) even after "
                f"a re-send; call their backup point of contact: {backup}",
            )
        changed += 1
    return changed
