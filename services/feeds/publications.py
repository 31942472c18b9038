"""The collections a ticket is published in (`/incident publish`: services/feeds/publishing.py), as `show`
lists them: read apart from publishing, which needs the exchange and handling domains that showing a
ticket never does."""

from __future__ import annotations

from puente.services.context import Context
from puente.storage import publications as publication_store
from puente.storage.models import Ticket
from puente.storage.publications import TicketPublication


def where(ctx: Context, ticket: Ticket) -> list[TicketPublication]:
    """The collections the ticket is published in."""
    return publication_store.publications_of(ctx.session, ticket.id or 0)
