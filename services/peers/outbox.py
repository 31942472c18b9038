"""The durable outbox to peers: messages are queued in the caller's transaction (the `outbox` worker
pushes them later, see scheduled.py), and `show` reads how each push of a ticket went.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
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
    peer: str
    summary: str
    state: str  # a DeliveryState's code, read as words.delivery_state words it
    detail: str  # when it was delivered, why it failed, or when it is tried next

    @property
    def reading(self) -> str:
        """Its state in the reader's words with its detail: "failed: HTTP 401: authentication refused"."""
        return _("{state}: {detail}").format(state=words.delivery_state(self.state), detail=self.detail)


def said(row: OutboxMessage) -> i18n.Value:
    """What a delivery is, as its reader reads it (English for deliveries queued before they were worded)."""
    return i18n.restored(row.wording) if row.wording is not None else row.summary


def of_ticket(ctx: Context, ticket_id: int, latest: int = 10) -> tuple[list[DeliveryLine], int]:
    """What `show` says about the latest pushes of this ticket: delivered, pending (next try) or failed
    (reason); and how many earlier pushes there were (the timeline has them all)."""
    names = {p.id: p.name for p in ctx.session.exec(select(Peer))}
    lines = []
    rows, earlier = outbox_store.of_ticket(ctx.session, ticket_id, latest)
    for row in rows:
        peer = names.get(row.peer_id, f"peer #{row.peer_id}")
        if row.state == DeliveryState.DELIVERED.value and row.delivered_at is not None:
            detail = i18n.format_datetime(row.delivered_at)
        elif row.state == DeliveryState.FAILED.value:
            detail = row.last_error
        else:
            when = i18n.format_datetime(row.next_try_at) if row.next_try_at else _("now")
            detail = _("try {attempt} at {moment}").format(attempt=row.attempts + 1, moment=when)
            if row.last_error:
                detail += " " + _("(last: {error})").format(error=row.last_error)
        lines.append(DeliveryLine(peer, str(said(row)), row.state, detail))
    return lines, earlier
