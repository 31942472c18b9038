"""What the `assistance-timers` worker runs: requested deadlines (a request past its deadline
EXPIRES), ACK deadlines (a late ACK re-sends our RFA once, then sends the peer an ESCALATE, which
pages its leads, and pages our on-call with the peer's backup point of contact), and the held
messages that can no longer apply (dropped, and said so on the timeline)."""

from __future__ import annotations

from puente.i18n import N_, Phrase, Value, Words
from puente.services.assistance import answers, messages, requester, service
from puente.services.assistance.protocol import ACTIVE, OUTBOUND, State, ack_window
from puente.services.context import Context, Runtime
from puente.services.escalation import peer_pages
from puente.storage import assistance as request_store
from puente.storage.assistance import AssistanceRequest
from puente.storage.models import Ticket
from puente.storage.peers import Peer

TIMERS_EVERY_SECONDS = 30.0


def tick(runtime: Runtime) -> float:
    """The `assistance-timers` worker: one pass over the deadlines, then sleep."""
    with runtime.unit_of_work(actor_name="assistance-timer") as ctx:
        run_timers(ctx)
    return TIMERS_EVERY_SECONDS


def run_timers(ctx: Context) -> int:
    """Expire requests past their deadline; re-send an RFA whose ACK is late, then escalate; drop the held
    messages that can no longer apply. Returns changes made."""
    now = ctx.now()
    changed = answers.drop_held_beyond_use(ctx)
    for row in request_store.in_states(ctx.session, [s.value for s in ACTIVE]):
        if service.expire_if_due(ctx, row):
            changed += 1
            continue
        if row.direction != OUTBOUND or row.state != State.SENT or row.ack_due_at is None or row.ack_due_at > now:
            continue
        peer = ctx.session.get(Peer, row.peer_id)
        assert peer is not None
        if not row.ack_resent:
            note = requester.rfa_note(ctx, row, now)  # a new version of the same note, so the peer sees it again
            messages.queue_note(ctx, row, peer, "RFA", note)
            row.ack_resent = True
            row.ack_due_at = now + ack_window(row.severity)
            ctx.session.add(row)
            service.record_on_timeline(
                ctx,
                row,
                "assistance-resent",
                Phrase(N_("{peer} did not acknowledge in time; request re-sent"), {"peer": peer.name}),
            )
        else:
            _escalate(ctx, row, peer)
        changed += 1
    return changed


def _escalate(ctx: Context, row: AssistanceRequest, peer: Peer) -> None:
    """Still no ACK after the re-send: an ESCALATE tells the peer's Puente to page its leads, and our
    on-call is paged with the peer's backup point of contact to call."""
    row.ack_due_at = None
    backup: Value = peer.backup_contact or peer.contact or Phrase(N_("no contact on file"))
    messages.send(
        ctx,
        row,
        "ESCALATE",
        f"No ACK for our request {row.requester_reference} ({', '.join(row.actions)}) even after a re-send.",
        new_state=State.SENT,
    )
    service.record_on_timeline(
        ctx,
        row,
        "assistance-escalated",
        Phrase(
            N_("{peer} still has not acknowledged; escalated to its leads and ours (their backup contact: {contact})"),
            {"peer": peer.name, "contact": backup},
        ),
    )
    ticket = ctx.session.get(Ticket, row.ticket_id)
    assert ticket is not None
    peer_pages.page_for_missed_ack(
        ctx,
        ticket,
        peer.name,
        row.request_id,
        Phrase(
            N_(
                "no ACK for our request ({actions}) even after a re-send; ESCALATE sent to {peer};"
                " call their backup point of contact: {backup}"
            ),
            {"actions": Words("action", tuple(row.actions)), "peer": peer.name, "backup": backup},
        ),
    )
