"""The durable outbox to peers: messages are queued in the caller's transaction (the `outbox` worker
pushes them later, see scheduled.py), and `show` reads how each push of a ticket went.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlmodel import select

from puente import i18n
from puente.i18n import _
from puente.services.context import Context, worded
from puente.services.vocabularies import words
from puente.storage import outbox as outbox_store
from puente.storage.outbox import DeliveryState, OutboxMessage
from puente.storage.peers import Peer

# Set once a queued message is committed in this process, so the outbox worker pushes it without waiting.
work_queued = threading.Event()


def after_commit(ctx: Context, action: Callable[[], None]) -> None:
    """Run `action` once the caller's transaction has committed (never if it rolls back)."""
    event.listen(ctx.session, "after_commit", lambda _session: action(), once=True)


def enqueue(
    ctx: Context, peer: Peer, objects: list[dict[str, Any]], *, ticket_id: int | None, summary: i18n.Value
) -> OutboxMessage:
    """Queue `objects` for `peer`; `summary` says what they are (`share INC-… (TLP:AMBER)`), as a phrase each
    reader of the ticket's deliveries reads in their own language."""
    kept = worded(summary)
    row = OutboxMessage(
        peer_id=peer.id or 0,
        ticket_id=ticket_id,
        summary=kept["summary"][:200],
        wording=kept["wording"],
        objects=objects,
        next_try_at=ctx.now(),
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    after_commit(ctx, work_queued.set)
    return row


def pushable(objects: list[dict[str, Any]], our_identity: str) -> list[dict[str, Any]]:
    """What a peer's server will take from us: what the writer rule lets our identity send (our own
    objects, our identity, observables). Definitions are published on our server, not pushed:
    medallion 3.0.0 cannot store an extension-definition (it reads its `version` as a time)."""
    # Imported here: the handling rules load the STIX property checks, which listing deliveries never needs.
    from puente.services.handling import policy as handling

    return [
        o
        for o in objects
        if o["type"] not in ("extension-definition", "marking-definition")
        and handling.creator_refusal(our_identity, o) is None
    ]


@dataclass(frozen=True)
class DeliveryLine:
    """One push to a peer as `show`, the web view and reports list it: worded when it is read, so that a report
    written for a peer reads in the peer's language and zone, not in those of whoever asked for it."""

    peer: str
    said: i18n.Value  # what was pushed
    state: str  # a DeliveryState's code, read as words.delivery_state words it
    delivered_at: datetime | None
    next_try_at: datetime | None
    attempts: int
    last_error: str

    @property
    def summary(self) -> str:
        return str(self.said)

    @property
    def detail(self) -> str:
        """When it was delivered, why it failed, or when it is tried next."""
        if self.state == DeliveryState.DELIVERED.value and self.delivered_at is not None:
            return i18n.format_datetime(self.delivered_at)
        if self.state == DeliveryState.FAILED.value:
            return self.last_error
        when = i18n.format_datetime(self.next_try_at) if self.next_try_at else _("now")
        detail = _("try {attempt} at {moment}").format(attempt=self.attempts + 1, moment=when)
        if self.last_error:
            detail += " " + _("(last: {error})").format(error=self.last_error)
        return detail

    @property
    def reading(self) -> str:
        """Its state in the reader's words with its detail: "failed: HTTP 401: authentication refused"."""
        return _("{state}: {detail}").format(state=words.delivery_state(self.state), detail=self.detail)


def said(row: OutboxMessage) -> i18n.Value:
    """What a delivery is, as its reader reads it (English for deliveries queued before they were worded)."""
    return i18n.restored(row.wording) if row.wording is not None else row.summary


def of_ticket(ctx: Context, ticket_id: int, latest: int = 10) -> tuple[list[DeliveryLine], int]:
    """The latest pushes of this ticket (delivered, pending or failed), and how many earlier pushes there
    were (the timeline has them all)."""
    names = {p.id: p.name for p in ctx.session.exec(select(Peer))}
    rows, earlier = outbox_store.of_ticket(ctx.session, ticket_id, latest)
    lines = [
        DeliveryLine(
            names.get(row.peer_id, f"peer #{row.peer_id}"),
            said(row),
            row.state,
            row.delivered_at,
            row.next_try_at,
            row.attempts,
            row.last_error,
        )
        for row in rows
    ]
    return lines, earlier
