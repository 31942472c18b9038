"""What the `shared-versions` worker runs: later changes to a shared ticket follow it to every peer it is
shared with, by themselves.

For each link whose ticket changed since the peer was last sent its versions, the ticket's objects are
versioned as they stand (services/exchange) and the versions stored since go to the peer through the
outbox: ours (a new incident version, a new indicator, a note), never the peer's own objects back,
never another CSIRT's (a peer's server takes from us only what we created). A ticket published for partners
follows into its collections the same way (services/feeds/publishing.py).
"""

from __future__ import annotations

from itertools import groupby

import orjson

from puente.i18n import N_, Listed, Phrase
from puente.services.context import Context, Runtime
from puente.services.exchange import service as exchange
from puente.services.feeds import publishing
from puente.services.handling import material as handling_material
from puente.services.handling.decision import Exit, Recipient, decide
from puente.services.peers import flows as peer_flows
from puente.services.peers import outbox
from puente.services.vocabularies.taxonomy import TLP
from puente.stix import patterns
from puente.storage import peers as peer_store
from puente.storage import stix_objects
from puente.storage.models import Ticket
from puente.storage.peers import Peer

SYNC_EVERY_SECONDS = 1.0


def tick(runtime: Runtime) -> float:
    """The `shared-versions` worker: one pass over the shared and published tickets that changed, then a short
    sleep."""
    with runtime.unit_of_work(actor_name="sharing") as ctx:
        send_new_versions(ctx)
        publishing.follow(ctx)
    return SYNC_EVERY_SECONDS


def send_new_versions(ctx: Context) -> int:
    """Queue each linked peer the versions of its ticket stored since it was last sent them; returns how many
    peers were sent something."""
    sent = 0
    for ticket_id, links in groupby(peer_store.links_behind(ctx.session), key=lambda link: link.ticket_id):
        ticket = ctx.session.get(Ticket, ticket_id)
        if ticket is None:
            continue
        exchange.current_objects(ctx, ticket)
        ours = exchange.our_identity(ctx)["id"]
        material = handling_material.of_ticket(ctx, ticket)
        for link in links:
            peer = ctx.session.get(Peer, link.peer_id)
            assert peer is not None
            versions = stix_objects.stored_after(ctx.session, ticket_id, link.sent_through)
            decision = decide(material, Exit.CONTRIBUTION, [Recipient(peer.name)])
            news = outbox.pushable(
                [orjson.loads(v.content) for v in versions if v.producer is None or v.producer != peer.identity_id],
                ours,
            )
            if news and decision.refused:
                # Withheld until the ticket moves again (a release by the originator, a change of ours): the link
                # stays where it was sent through, so the peer then gets every version since.
                ctx.record(
                    action="versions-withheld",
                    ticket_id=ticket.id,
                    summary=Listed(tuple(r.why for r in decision.refused), sentences=True),
                )
                link.synced_at = ticket.updated_at
                ctx.session.add(link)
                continue
            if any(o["type"] not in patterns.SCO_TYPES for o in news):
                peer_flows.send_to_peers(
                    ctx,
                    decision,
                    [peer],
                    news,
                    TLP(ticket.tlp),
                    definitions=exchange.definitions_for(news),
                    ticket_id=ticket.id,
                    summary=Phrase(N_("update {reference}"), {"reference": ticket.reference}),
                )
                sent += 1
            link.sent_through = versions[-1].row_id if versions else link.sent_through
            # The ticket as read here, not the clock: a change committed meanwhile is still ahead of the link.
            link.synced_at = ticket.updated_at
            ctx.session.add(link)
    return sent
