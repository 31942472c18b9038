"""Sending STIX objects to peer CSIRTs, the one way sharing and the assistance protocol both use.

A peer gets our objects twice over: pushed into its own TAXII server through the outbox, and
published in the collections of ours that it may read, for peers that pull.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from puente import i18n
from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import Forbidden
from puente.services.exchange import service as exchange
from puente.services.feeds import collections
from puente.services.handling.decision import Decision
from puente.services.peers import outbox
from puente.services.vocabularies.taxonomy import TLP
from puente.storage.peers import Peer


def send_to_peers(
    ctx: Context,
    decision: Decision,
    recipients: Sequence[Peer],
    objects: list[dict[str, Any]],
    tlp: TLP,
    *,
    definitions: Sequence[dict[str, Any]],
    ticket_id: int | None,
    summary: i18n.Value,
    stored: bool = False,
) -> int:
    """Queue `objects`, led by our identity, for each recipient, and publish them with the
    `definitions` they depend on to the collections `tlp` allows for those recipients.

    Definitions are published, not pushed (see `outbox.pushable`). `stored` says the objects are a
    ticket's stored versions, checked on their way in (see `collections.publish`). Returns how many
    objects each recipient is pushed. Only recipients the handling `decision` allows are sent anything.
    """
    if not decision.allows(peer.name for peer in recipients):
        outside = [peer.name for peer in recipients if peer.name not in decision.allowed]
        reasons = [r.reason for r in decision.refused if r.recipient is None or r.recipient in outside]
        raise Forbidden(
            " ".join(reasons) or _("Nothing decided that {value} may have this.").format(value=", ".join(outside))
        )
    ours = exchange.our_identity(ctx)
    ours_first = [ours, *(o for o in objects if o["id"] != ours["id"])]
    pushed = outbox.pushable(ours_first, ours["id"])
    for peer in recipients:
        outbox.enqueue(ctx, peer, pushed, ticket_id=ticket_id, summary=summary)
    collections.publish(ctx, [*definitions, *ours_first], tlp, [peer.name for peer in recipients], stored=stored)
    return len(pushed)
