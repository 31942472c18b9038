"""Assistance requests as both sides keep them: the request on a ticket, how it is shown, its state and
its records (DESIGN.md, "Mutual assistance protocol").

The two sides build on this: `messages` sends one protocol message from our side, `requester` (we ask a
peer) and `responder` (a peer asked us) through it; what a peer sends us arrives through `inbound`, and
the timers in `scheduled`. Each message is a STIX note queued for the peer, recorded on the request and
on the ticket's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from puente import i18n
from puente.i18n import N_, Moment, Phrase, Words, Written, _
from puente.services.assistance.protocol import ACTIVE, OUTBOUND, State
from puente.services.context import Context
from puente.services.escalation import service as escalation
from puente.services.vocabularies import assistance as words
from puente.storage import assistance as request_store
from puente.storage.assistance import AssistanceMessage, AssistanceRequest
from puente.storage.models import Ticket
from puente.storage.peers import Peer


@dataclass(frozen=True)
class RequestView:
    """A request as `show`, the replies and reports present it; its times read in the reader's zone (i18n)."""

    request: AssistanceRequest
    peer: str
    ticket: str
    messages: list[AssistanceMessage]

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
            text += str(given_reason(r.reason))
        if r.deadline:
            text += ", " + _("by {deadline}").format(deadline=i18n.format_datetime(r.deadline, year=True))
        if r.state == State.SENT and r.ack_due_at and r.direction == OUTBOUND:
            text += ", " + _("ACK due {due}").format(due=i18n.format_datetime(r.ack_due_at))
        return text


def view_of(ctx: Context, row: AssistanceRequest) -> RequestView:
    ticket = ctx.session.get(Ticket, row.ticket_id)
    return RequestView(
        row,
        peer_name_of(ctx, row.peer_id),
        ticket.reference if ticket else "?",
        request_store.messages(ctx.session, row.id or 0),
    )


def of_ticket(ctx: Context, ticket: Ticket) -> list[RequestView]:
    rows = request_store.of_ticket(ctx.session, ticket.id or 0)
    for row in rows:
        expire_if_due(ctx, row)
    return [view_of(ctx, row) for row in rows]


def peer_name_of(ctx: Context, peer_id: int) -> str:
    peer = ctx.session.get(Peer, peer_id)
    return peer.name if peer else f"peer #{peer_id}"


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
    escalation.stop_request_pages(ctx, row.ticket_id, row.request_id, Phrase(N_("the request expired")))
    record_on_timeline(
        ctx,
        row,
        "assistance-expired",
        Phrase(
            N_("deadline {deadline} passed: the requested actions must not be carried out"),
            {"deadline": Moment(row.deadline, year=True)},
        ),
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


def given_reason(reason: str | None) -> i18n.Value:
    """A message's reason as a line about it adds it after the message (` (out of mandate)`), or nothing."""
    return Phrase(N_(" ({reason})"), {"reason": Words("decline reason", (reason,))}) if reason else ""


def record_on_timeline(ctx: Context, row: AssistanceRequest, action: str, summary: i18n.Value) -> None:
    ctx.record(
        action=action,
        ticket_id=row.ticket_id,
        summary=summary,
        after={"request": row.request_id, "state": row.state},
    )
