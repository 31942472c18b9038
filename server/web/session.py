"""The reader of a page: the browser session's cookie names them; every page is built in a unit of work
that changes nothing (Runtime.reading), as that user, and a refusal is a page of its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from puente.server.web.rendering import render
from puente.services.context import Context, Runtime
from puente.services.errors import PuenteError
from puente.services.users import signin

COOKIE = "puente_session"


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def show(
    request: Request,
    template: str,
    build: Callable[[Context], Mapping[str, Any]],
    *,
    active: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The page `template` with what `build` reads as the signed-in reader; a domain refusal instead names
    what to do (sign in again, ask an analyst)."""
    with runtime_of(request).reading() as ctx:
        # Rendered inside the unit of work: the records are read until the page is written.
        try:
            ctx.actor = signin.reader(ctx, request.cookies.get(COOKIE))
            return render(template, ctx.actor, build(ctx), active=active, status=status)
        except PuenteError as error:
            return render("refused.html", ctx.actor, {"message": str(error)}, status=error.http_status, active=active)
