"""What a peer sent that was taken in but could not be applied: set aside with the reason.

A batch of a peer's objects is applied in one transaction; when that fails, its objects are applied
again one at a time, each in its own transaction, and the one that fails is set aside (a row with
the object as received and the error) while the cursor moves past it. So one object can never stop
ingestion, and one peer's trouble never holds another's messages. `puente peers inbox NAME` lists
what is set aside; the operator retries an object (once its cause is fixed) or discards it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from puente.i18n import _
from puente.services.assistance import messages as assistance_messages
from puente.services.context import Context, Runtime
from puente.services.errors import NotFound
from puente.services.inbox.service import Envelope, IngestReport, ingest
from puente.services.peers import service as peers
from puente.storage import inbox as inbox_store
from puente.storage.engine import transient
from puente.storage.inbox import HeldObject
from puente.storage.peers import Peer

log = logging.getLogger(__name__)

Progress = Callable[[Context, Peer, int], None]
"""Records, in the transaction that took in (or set aside) object n, that ingestion got that far."""


@dataclass(frozen=True)
class Held:
    """One object set aside, as the operator sees it."""

    id: int
    stix_id: str
    version: str
    reason: str
    attempts: int
    held_at: str


def _why(error: BaseException) -> str:
    """The error in one line (a database error's first line names the column), NUL made visible."""
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}".replace("\x00", "\\x00")[:500]


def _label(obj: Any) -> tuple[str, str]:
    if not isinstance(obj, dict):
        return "?", ""
    stix_id, version = obj.get("id"), obj.get("modified") or obj.get("created") or ""
    return (
        stix_id.replace("\x00", "\\x00")[:128] if isinstance(stix_id, str) else "?",
        version.replace("\x00", "\\x00")[:40] if isinstance(version, str) else "",
    )


def _content(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj)
    except (TypeError, orjson.JSONEncodeError):  # nested too deep to write: keep what can be read
        return repr(obj)[:100_000].encode()


def set_aside(ctx: Context, peer: Peer, obj: Any, reason: str) -> HeldObject:
    stix_id, version = _label(obj)
    row = HeldObject(
        peer_id=peer.id or 0,
        stix_id=stix_id,
        version=version,
        reason=reason,
        content=_content(obj),
        held_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.record(action="peer-object-set-aside", summary=f"{stix_id} from {peer.name}: {reason}"[:500])
    return row


def take_each(runtime: Runtime, peer_name: str, objects: Sequence[Any], progress: Progress) -> IngestReport:
    """Take in the objects one at a time, each in its own transaction; set aside those that fail."""
    report = IngestReport()
    with runtime.unit_of_work(actor_name=f"peer:{peer_name}") as ctx:
        peer = peers.get(ctx, peer_name)
        envelope = Envelope.of(peer, assistance_messages.our_identity(ctx), list(objects))
    for n, obj in enumerate(objects):
        try:
            with runtime.unit_of_work(actor_name=f"peer:{peer_name}") as ctx:
                peer = peers.get(ctx, peer_name)
                report.merge(ingest(ctx, peer, [obj], envelope))
                progress(ctx, peer, n)
            continue
        except Exception as error:
            if transient(error):
                raise  # the database, not the object: the next tick starts again from the cursor
            reason = _why(error)
            log.warning("object %s from %s set aside: %s", _label(obj)[0], peer_name, reason, exc_info=True)
        with runtime.unit_of_work(actor_name=f"peer:{peer_name}") as ctx:
            peer = peers.get(ctx, peer_name)
            set_aside(ctx, peer, obj, reason)
            progress(ctx, peer, n)
        report.held.append(f"{_label(obj)[0]}: {reason}")
    return report


def listing(ctx: Context, peer_name: str) -> list[Held]:
    peer = peers.get(ctx, peer_name)
    return [
        Held(row.id or 0, row.stix_id, row.version, row.reason, row.attempts, f"{row.held_at:%Y-%m-%d %H:%M:%S} UTC")
        for row in inbox_store.held(ctx.session, peer.id or 0)
    ]


def _rows(ctx: Context, peer: Peer, which: Sequence[int] | None) -> list[HeldObject]:
    rows = inbox_store.held(ctx.session, peer.id or 0)
    if which is None:
        return rows
    found = {row.id: row for row in rows}
    missing = [str(n) for n in which if n not in found]
    if missing:
        raise NotFound(
            _("Nothing set aside from {name} with id {value}: `puente peers inbox {name}` lists them.").format(
                name=peer.name, value=", ".join(missing)
            )
        )
    return [found[n] for n in which]


def retry(runtime: Runtime, peer_name: str, which: Sequence[int] | None = None) -> list[tuple[int, str | None]]:
    """Apply set-aside objects again (all when `which` is None); each (id, None) went in, (id, reason) failed again."""
    with runtime.unit_of_work() as ctx:
        peer = peers.get(ctx, peer_name)
        ids = [row.id or 0 for row in _rows(ctx, peer, which)]
    outcome: list[tuple[int, str | None]] = []
    for held_id in ids:
        try:
            with runtime.unit_of_work(actor_name="operator") as ctx:
                peer = peers.get(ctx, peer_name)
                row = ctx.session.get(HeldObject, held_id)
                if row is None:
                    continue
                ingest(ctx, peer, [orjson.loads(row.content)])
                ctx.session.delete(row)
                ctx.record(action="peer-object-retried", summary=f"{row.stix_id} from {peer.name} taken in")
            outcome.append((held_id, None))
        except Exception as error:
            reason = _why(error)
            with runtime.unit_of_work(actor_name="operator") as ctx:
                row = ctx.session.get(HeldObject, held_id)
                if row is not None:
                    row.attempts += 1
                    row.reason = reason
                    ctx.session.add(row)
            outcome.append((held_id, reason))
    return outcome


def discard(ctx: Context, peer_name: str, which: Sequence[int] | None = None) -> int:
    """Drop set-aside objects for good (all when `which` is None); the timeline says what went."""
    peer = peers.get(ctx, peer_name)
    rows = _rows(ctx, peer, which)
    for row in rows:
        ctx.session.delete(row)
        ctx.record(action="peer-object-discarded", summary=f"{row.stix_id} from {peer.name}: {row.reason}"[:500])
    return len(rows)
