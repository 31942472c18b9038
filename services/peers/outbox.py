"""Delivery to peers through the durable outbox: queue in the caller's transaction, push later.

`deliver_due` takes due rows (a lease, so a crash mid-push only delays them), pushes each with
taxii2-client, and records the outcome: delivered, pending with the next try (exponential backoff
with jitter while the peer is down), or failed with the reason.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, select

from puente.services.context import Context, Runtime
from puente.services.handling import policy as audiences
from puente.services.peers.service import endpoint
from puente.storage import outbox as outbox_store
from puente.storage import timeline
from puente.storage.outbox import DeliveryState, OutboxMessage
from puente.storage.peers import Peer
from puente.taxii import client

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
FIRST_RETRY = timedelta(seconds=2)
LONGEST_RETRY = timedelta(minutes=15)
MAX_ATTEMPTS = 20  # about three hours of retries at the longest interval
_work_queued = threading.Event()


def after_commit(ctx: Context, action: Callable[[], None]) -> None:
    """Run `action` once the caller's transaction has committed (never if it rolls back)."""
    event.listen(ctx.session, "after_commit", lambda _session: action(), once=True)


def enqueue(
    ctx: Context, peer: Peer, objects: list[dict[str, Any]], *, ticket_id: int | None, summary: str
) -> OutboxMessage:
    row = OutboxMessage(
        peer_id=peer.id or 0,
        ticket_id=ticket_id,
        summary=summary[:200],
        objects=objects,
        next_try_at=ctx.now(),
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    after_commit(ctx, _work_queued.set)
    return row


def pushable(objects: list[dict[str, Any]], our_identity: str) -> list[dict[str, Any]]:
    """What a peer's server will take from us: what the writer rule lets our identity send (our own
    objects, our identity, observables). Definitions are published on our server, not pushed:
    medallion 3.0.0 cannot store an extension-definition (it reads its `version` as a time)."""
    return [
        o
        for o in objects
        if o["type"] not in ("extension-definition", "marking-definition")
        and audiences.creator_refusal(our_identity, o) is None
    ]


def wait_for_work(timeout: float) -> None:
    """Sleep until something is queued in this process or `timeout` seconds pass."""
    _work_queued.wait(timeout)
    _work_queued.clear()


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential in the attempts made, capped, with jitter so peers coming back are not stampeded."""
    ceiling = min(LONGEST_RETRY, FIRST_RETRY * (2 ** max(0, attempts - 1)))
    return ceiling * (rng or random).uniform(0.5, 1.0)


@dataclass(frozen=True)
class _Job:
    row_id: int
    peer_name: str
    target: client.Endpoint
    objects: list[dict[str, Any]]
    attempts: int


def deliver_due(runtime: Runtime, limit: int = 20) -> int:
    """Push what is due; return how many pushes were attempted."""
    with runtime.unit_of_work(actor_name="outbox") as ctx:
        rows = outbox_store.take_due(ctx.session, ctx.now(), LEASE, limit)
        jobs = []
        for row in rows:
            peer = ctx.session.get(Peer, row.peer_id)
            assert peer is not None and row.id is not None
            jobs.append(_Job(row.id, peer.name, endpoint(peer), list(row.objects), row.attempts))
    for job in jobs:
        error: client.PeerUnreachable | None = None
        api_root = None
        try:
            target = job.target
            if target.api_root_url is None:
                api_root = client.resolve_api_root(target)
                target = replace(target, api_root_url=api_root)
            client.push(target, job.objects)
        except client.PeerUnreachable as failure:
            error = failure
        with runtime.unit_of_work(actor_name="outbox") as ctx:
            _record(ctx, job, error, api_root)
    return len(jobs)


def _record(ctx: Context, job: _Job, error: client.PeerUnreachable | None, api_root: str | None) -> None:
    row = ctx.session.get(OutboxMessage, job.row_id)
    if row is None or row.state != DeliveryState.PENDING.value:
        return
    now = ctx.now()
    if api_root:
        peer = ctx.session.get(Peer, row.peer_id)
        if peer is not None:
            peer.api_root_url = api_root
            ctx.session.add(peer)
    if error is None:
        row.state = DeliveryState.DELIVERED.value
        row.delivered_at = now
        row.last_error = ""
        row.next_try_at = None
        action, summary = "delivered", f"{row.summary} delivered to {job.peer_name}"
    elif error.permanent or row.attempts >= MAX_ATTEMPTS:
        row.state = DeliveryState.FAILED.value
        row.last_error = str(error)
        row.next_try_at = None
        action, summary = (
            "delivery-failed",
            f"{row.summary} to {job.peer_name} failed after {row.attempts} attempt(s): {error}",
        )
    else:
        row.last_error = str(error)
        row.next_try_at = now + retry_delay(row.attempts)
        log.info("push to %s failed (%s); next try at %s", job.peer_name, error, row.next_try_at)
        ctx.session.add(row)
        return
    ctx.session.add(row)
    timeline.record(ctx.session, at=now, actor="outbox", action=action, ticket_id=row.ticket_id, summary=summary)


def seconds_until_due(session: Session, now: datetime, longest: float) -> float:
    due = outbox_store.next_due(session)
    if due is None:
        return longest
    return max(0.0, min(longest, (due - now).total_seconds()))


@dataclass(frozen=True)
class DeliveryLine:
    peer: str
    summary: str
    state: str
    detail: str


def of_ticket(ctx: Context, ticket_id: int) -> list[DeliveryLine]:
    """What `show` says about each push of this ticket: delivered, pending (next try) or failed (reason)."""
    names = {p.id: p.name for p in ctx.session.exec(select(Peer))}
    lines = []
    for row in outbox_store.of_ticket(ctx.session, ticket_id):
        peer = names.get(row.peer_id, f"peer #{row.peer_id}")
        if row.state == DeliveryState.DELIVERED.value:
            detail = f"delivered {row.delivered_at:%Y-%m-%d %H:%M:%S} UTC"
        elif row.state == DeliveryState.FAILED.value:
            detail = f"failed: {row.last_error}"
        else:
            when = f"{row.next_try_at:%H:%M:%S} UTC" if row.next_try_at else "now"
            detail = f"pending, try {row.attempts + 1} at {when}" + (
                f" (last: {row.last_error})" if row.last_error else ""
            )
        lines.append(DeliveryLine(peer, row.summary, row.state, detail))
    return lines
