"""The ticket list (filters and search, as `/incident list` takes them) and a ticket's page (what `show`
and `timeline` say, with its STIX objects and who holds which version)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from puente.bot.handlers.cards import ticket_fields
from puente.server.web.session import show
from puente.services.assistance import service as assistance
from puente.services.context import Context
from puente.services.errors import InvalidInput
from puente.services.exchange import holdings
from puente.services.peers import outbox
from puente.services.tickets import search
from puente.services.tickets import service as tickets
from puente.services.tickets.service import is_cross_border
from puente.services.vocabularies.taxonomy import STIX_SECTORS, TLP, Severity
from puente.storage.models import TicketStatus

router = APIRouter()
PAGE_SIZE = 50
# A ticket imported from a big feed may hold tens of thousands of objects: the page lists the first ones.
OBJECTS_SHOWN = 500
CHOICES = {
    "scope": [s.value for s in search.Scope],
    "status": [s.value for s in TicketStatus],
    "severity": [s.value for s in Severity],
    "sector": list(STIX_SECTORS),
    "tlp": [level.value for level in TLP],
}


def _offset(value: str) -> int:
    return int(value) if value.isdigit() else 0


@router.get("/tickets", response_class=HTMLResponse)
def ticket_list(
    request: Request,
    scope: str = "open",
    status: str = "",
    severity: str = "",
    country: str = "",
    sector: str = "",
    tlp: str = "",
    q: str = "",
    offset: str = "0",
) -> HTMLResponse:
    asked = {"status": status, "severity": severity, "country": country, "sector": sector, "tlp": tlp, "text": q}

    def build(ctx: Context) -> dict[str, Any]:
        values: dict[str, Any] = {"asked": asked | {"scope": scope}, "choices": CHOICES, "error": None}
        try:
            filters = search.parse_filter(scope, asked)
        except InvalidInput as error:
            return values | {"error": str(error), "found": None}
        found = search.find(ctx, filters, limit=PAGE_SIZE, offset=_offset(offset))
        our = ctx.settings.csirt_country
        crossing = {t.reference for t in found.tickets if is_cross_border(t, our)}
        return values | {"found": found, "crossing": crossing, "page_size": PAGE_SIZE}

    return show(request, "tickets.html", build, active="/tickets")


@router.get("/tickets/{reference}", response_class=HTMLResponse)
def ticket_page(request: Request, reference: str) -> HTMLResponse:
    def build(ctx: Context) -> dict[str, Any]:
        view = tickets.view(ctx, reference)
        ticket = view.ticket
        _, events = tickets.history(ctx, ticket.reference)
        deliveries, earlier = outbox.of_ticket(ctx, ticket.id or 0)
        return {
            "view": view,
            "fields": ticket_fields(ctx, ticket, view.owner, ctx.settings.csirt_country),
            "requests": assistance.of_ticket(ctx, ticket),
            "deliveries": deliveries,
            "earlier_deliveries": earlier,
            "objects": holdings.of_ticket(ctx, ticket),
            "objects_shown": OBJECTS_SHOWN,
            "events": events,
        }

    return show(request, "ticket.html", build, active="/tickets")
