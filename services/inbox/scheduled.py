"""What the `peer-inbox` and `peer-poller` workers run: take in what peers pushed into our TAXII inboxes,
and pull what peers added to the collections we read on their servers."""

from __future__ import annotations

import logging
from dataclasses import replace

from puente.services.context import Context, Runtime, collector_paused
from puente.services.feeds import collections
from puente.services.handling.policy import CollectionKind
from puente.services.inbox import held
from puente.services.inbox.service import IngestReport, ingest
from puente.services.peers import service as peers
from puente.storage import peers as peer_store
from puente.storage.peers import Peer
from puente.taxii import client

log = logging.getLogger(__name__)

INBOX_EVERY_SECONDS = 0.1
# Inbox entries taken in per transaction. Each commit writes again every index page the batch touched,
# and each batch repeats a few dozen look-ups: 2,000 take a large envelope in at close to import's pace
# while the write lock is held for a fraction of a second (about 0.15 s of CPU here).
INBOX_BATCH = 2000
POLL_EVERY_SECONDS = 30.0


# ---- our inbox: what peers pushed into our TAXII server ----


def take_inbox(runtime: Runtime) -> int:
    """Ingest what each peer posted to its inbox since our cursor; returns how many entries were read.

    A peer whose inbox cannot be read at all is logged and skipped: the others' messages go on.
    """
    # One read-only look for all peers: an idle worker costs the same with 35 peers as with one.
    with runtime.unit_of_work(read_only=True) as ctx:
        names = peer_store.with_inbox_news(ctx.session, CollectionKind.INBOX.value)
    read = 0
    for name in names:
        try:
            read += _take_peer_inbox(runtime, name)
        except Exception:
            log.exception("the inbox of peer %s could not be read; the other peers' go on", name)
    return read


def _take_peer_inbox(runtime: Runtime, name: str) -> int:
    """One batch of the peer's inbox in one transaction; if any of it fails, each object on its own."""
    try:
        with collector_paused(), runtime.unit_of_work(actor_name=f"peer:{name}") as ctx:
            peer = peers.get(ctx, name)
            entries = collections.inbox_entries(ctx, peer.name, after=peer.inbox_cursor, limit=INBOX_BATCH)
            if not entries:
                return 0
            # What this build's door screened is not validated again; an older door's entries are.
            screened = all(entry.screened for entry in entries)
            ingest(ctx, peer, [entry.stix_object for entry in entries], screened=screened)
            peer.inbox_cursor = entries[-1].date_added
            ctx.session.add(peer)
            return len(entries)
    except Exception:
        log.warning("a batch from %s failed to apply; taking its objects one at a time", name, exc_info=True)
    with runtime.unit_of_work(actor_name=f"peer:{name}") as ctx:
        peer = peers.get(ctx, name)
        entries = collections.inbox_entries(ctx, peer.name, after=peer.inbox_cursor, limit=INBOX_BATCH)

    def reached(ctx: Context, peer: Peer, n: int) -> None:
        peer.inbox_cursor = entries[n].date_added
        ctx.session.add(peer)

    held.take_each(runtime, name, [entry.stix_object for entry in entries], reached)
    return len(entries)


def tick_inbox(runtime: Runtime) -> float:
    """The peer-inbox worker: what peers push lands in our TAXII inboxes; a short pause keeps an RFA's way to a
    ticket fast."""
    take_inbox(runtime)
    return INBOX_EVERY_SECONDS


# ---- the poller ----------------------------------------------------------------------------


def poll_peer(runtime: Runtime, peer_name: str) -> IngestReport:
    """Pull what the peer added since our cursor; each page is ingested and the cursor saved together."""
    with runtime.unit_of_work(actor_name="poller") as ctx:
        peer = peers.get(ctx, peer_name)
        target, collection_id, cursor = peers.endpoint(ctx.settings, peer), peer.pull_collection_id, peer.poll_cursor
    report = IngestReport()
    if collection_id is None:
        return report
    if target.api_root_url is None:
        target = replace(target, api_root_url=client.resolve_api_root(target))
        with runtime.unit_of_work(actor_name="poller") as ctx:
            peers.get(ctx, peer_name).api_root_url = target.api_root_url
    for page in client.poll(target, collection_id, cursor):
        report.merge(_take_page(runtime, peer_name, page))
    return report


def _take_page(runtime: Runtime, peer_name: str, page: client.Page) -> IngestReport:
    """A polled page ingested with the cursor saved, in one transaction; if it fails, each object on its own."""

    def reached(ctx: Context, peer: Peer, n: int) -> None:
        if n == len(page.objects) - 1:
            peer.poll_cursor = page.cursor
            peer.polled_at = ctx.now()
            ctx.session.add(peer)

    try:
        with runtime.unit_of_work(actor_name=f"peer:{peer_name}") as ctx:
            peer = peers.get(ctx, peer_name)
            report = ingest(ctx, peer, page.objects)
            reached(ctx, peer, len(page.objects) - 1)
            return report
    except Exception:
        log.warning("a page from %s failed to apply; taking its objects one at a time", peer_name, exc_info=True)
    return held.take_each(runtime, peer_name, page.objects, reached)


def poll_all(runtime: Runtime) -> dict[str, IngestReport | str]:
    """Poll every peer with a pull collection; a peer that is down (or answers nonsense) is reported, not raised."""
    with runtime.unit_of_work() as ctx:
        names = [p.name for p in peer_store.pulling(ctx.session)]
    outcome: dict[str, IngestReport | str] = {}
    for name in names:
        try:
            outcome[name] = poll_peer(runtime, name)
        except client.PeerUnreachable as error:
            log.info("polling %s failed: %s", name, error)
            outcome[name] = str(error)
        except Exception as error:  # whatever one peer's server answers, the others are polled
            log.exception("polling %s failed; the other peers are polled all the same", name)
            outcome[name] = f"{type(error).__name__}: {error}"[:300]
    return outcome


def tick_poller(runtime: Runtime) -> float:
    """The peer-poller worker: pull what each peer we read added since our cursor."""
    poll_all(runtime)
    return POLL_EVERY_SECONDS
