"""Who holds which version of a ticket's STIX objects: the versions we keep, and for each the latest
one each peer was delivered (from the outbox rows pushed to it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import select

from puente.services.context import Context
from puente.services.tickets.readers import check_readable
from puente.storage import outbox as outbox_store
from puente.storage import stix_objects
from puente.storage.models import Ticket
from puente.storage.peers import Peer


@dataclass(frozen=True, slots=True)
class Holding:
    """An object of the ticket at its latest stored version, and the version each peer holds of it."""

    stix_id: str
    stix_type: str
    version: int
    modified: str | None
    producer: str | None
    held_by: dict[str, int] = field(default_factory=dict)


def of_ticket(ctx: Context, ticket: Ticket) -> list[Holding]:
    """The ticket's objects (by type, then id) with who was delivered which version."""
    check_readable(ctx, ticket, "reading a ticket's STIX objects")
    assert ticket.id is not None
    numbers = stix_objects.version_numbers(ctx.session, ticket.id)
    names = {p.id: p.name for p in ctx.session.exec(select(Peer))}
    held: dict[str, dict[str, int]] = {}
    for row in outbox_store.delivered_of_ticket(ctx.session, ticket.id):
        peer = names.get(row.peer_id, f"peer #{row.peer_id}")
        for obj in row.objects:
            number = numbers.get((obj.get("id", ""), obj.get("modified")))
            if number is not None:
                holders = held.setdefault(obj["id"], {})
                holders[peer] = max(number, holders.get(peer, 0))
    latest = stix_objects.latest_for_ticket(ctx.session, ticket.id)
    return [
        Holding(
            row.stix_id,
            row.stix_id.split("--", 1)[0],
            row.version,
            row.modified,
            row.producer,
            dict(sorted(held.get(row.stix_id, {}).items())),
        )
        for row in sorted(latest.values(), key=lambda r: (r.stix_id.split("--", 1)[0], r.stix_id))
    ]
