"""What the `outbox` worker runs: push the due outbox messages to peers and record how each went.

`push_due_messages` takes due rows (a lease, so a crash mid-push only delays them), pushes each with
taxii2-client, and records the outcome: delivered, pending with the next try (exponential backoff
with jitter while the peer is down), or failed with the reason.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from puente.i18n import N_, N_plural, Phrase
from puente.services.context import Context, Runtime
from puente.services.peers import outbox
from puente.services.peers.outbox import work_queued
from puente.services.peers.service import endpoint
from puente.storage import outbox as outbox_store
from puente.storage.outbox import DeliveryState, OutboxMessage
from puente.storage.peers import Peer
from puente.taxii import client

log = logging.getLogger(__name__)

PUSH_LEASE = timedelta(seconds=60)
FIRST_RETRY = timedelta(seconds=2)
LONGEST_RETRY = timedelta(minutes=15)
MAX_ATTEMPTS = 20  # about three hours of retries at the longest interval
OUTBOX_IDLE_SECONDS = 0.2  # another process (`puente say`) may queue: look this often


def wait_for_work(timeout: float) -> None:
    """Sleep until something is queued in this process or `timeout` seconds pass."""
    work_queued.wait(timeout)
    work_queued.clear()


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


def push_due_messages(runtime: Runtime, limit: int = 20) -> int:
    """Push what is due, each line in order (a message delivered lets the next of its line go in the
    same call); return how many pushes were attempted."""
    attempted = 0
    while True:
        pushed = _push_batch(runtime, limit)
        if not pushed:
            return attempted
        attempted += pushed


def _push_batch(runtime: Runtime, limit: int) -> int:
    with runtime.unit_of_work(actor_name="outbox") as ctx:
        rows = outbox_store.take_due(ctx.session, ctx.now(), PUSH_LEASE, limit)
        jobs = []
        for row in rows:
            peer = ctx.session.get(Peer, row.peer_id)
            assert peer is not None and row.id is not None
            jobs.append(_Job(row.id, peer.name, endpoint(ctx.settings, peer), list(row.objects), row.attempts))
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
        action = "delivered"
        summary = Phrase(N_("{what} delivered to {peer}"), {"what": outbox.said(row), "peer": job.peer_name})
    elif error.permanent or row.attempts >= MAX_ATTEMPTS:
        row.state = DeliveryState.FAILED.value
        row.last_error = str(error)
        row.next_try_at = None
        action = "delivery-failed"
        summary = Phrase.counted(
            N_plural(
                "{what} to {peer} failed after {count} attempt: {error}",
                "{what} to {peer} failed after {count} attempts: {error}",
            ),
            row.attempts,
            what=outbox.said(row),
            peer=job.peer_name,
            error=str(error),
        )
    else:
        row.last_error = str(error)
        row.next_try_at = now + retry_delay(row.attempts)
        log.info("push to %s failed (%s); next try at %s", job.peer_name, error, row.next_try_at)
        ctx.session.add(row)
        return
    ctx.session.add(row)
    ctx.record(action, summary, ticket_id=row.ticket_id, at=now)


def seconds_until_due(session: Session, now: datetime, longest: float) -> float:
    due = outbox_store.next_due(session)
    if due is None:
        return longest
    return max(0.0, min(longest, (due - now).total_seconds()))


def tick(runtime: Runtime) -> float:
    """The outbox worker: push due outbox rows; sleep until the next is due or something new is queued in this
    process."""
    push_due_messages(runtime)
    with runtime.unit_of_work() as ctx:
        pause = seconds_until_due(ctx.session, ctx.now(), OUTBOX_IDLE_SECONDS)
    if pause > 0:
        wait_for_work(pause)
    return 0.0
