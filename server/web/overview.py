"""The pages a duty officer scans: requests for assistance by state, the map of open incidents,
who is on call now and next, and the regulatory clocks due in the next 24 hours."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from puente.bot.handlers.oncall import local_time
from puente.server.web.americas import americas
from puente.server.web.session import show
from puente.services.assistance import board
from puente.services.assistance.protocol import OUTBOUND
from puente.services.context import Context
from puente.services.escalation import rotations
from puente.services.tickets import clocks, search

router = APIRouter()
# Open tickets per country from which a country takes each colour of the map (level 1, 2, 3, 4).
LEVELS = (1, 3, 10, 30)


@router.get("/requests", response_class=HTMLResponse)
def requests_board(request: Request) -> HTMLResponse:
    def build(ctx: Context) -> dict[str, Any]:
        return {"columns": board.board(ctx), "now": ctx.now(), "outbound": OUTBOUND}

    return show(request, "requests.html", build, active="/requests")


def level(count: int) -> int:
    return sum(1 for floor in LEVELS if count >= floor)


@router.get("/map", response_class=HTMLResponse)
def incident_map(request: Request) -> HTMLResponse:
    def build(ctx: Context) -> dict[str, Any]:
        geography = search.open_geography(ctx)
        shapes = americas()
        links = [
            (shapes.shapes[a], shapes.shapes[b], count)
            for (a, b), count in geography.links.items()
            if a in shapes.shapes and b in shapes.shapes
        ]
        return {
            "map": shapes,
            "by_country": geography.by_country,
            "levels": {code: level(geography.by_country.get(code, 0)) for code in shapes.shapes},
            "links": links,
            "all_links": geography.links,
            "outside": sorted(code for code in geography.by_country if code not in shapes.shapes),
        }

    return show(request, "map.html", build, active="/map")


@router.get("/oncall", response_class=HTMLResponse)
def on_call(request: Request) -> HTMLResponse:
    def build(ctx: Context) -> dict[str, Any]:
        viewer = ctx.actor.timezone if ctx.actor else None
        shifts = []
        for item in rotations.listing(ctx):
            zone = ZoneInfo(viewer or item.rotation.timezone)
            shifts.append((item, local_time(item.current.ends, zone), local_time(item.next.starts, zone)))
        return {"shifts": shifts}

    return show(request, "oncall.html", build, active="/oncall")


@router.get("/clocks", response_class=HTMLResponse)
def regulatory_clocks(request: Request) -> HTMLResponse:
    def build(ctx: Context) -> dict[str, Any]:
        return {"due": clocks.due_within(ctx), "now": ctx.now()}

    return show(request, "clocks.html", build, active="/clocks")
