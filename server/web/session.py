"""The reader of a page: the browser session's cookie names them; every page is built in a unit of work
that changes nothing (Runtime.reading), as that user, in their language and time zone, and a refusal is
a page of its own.

Whose language: the signed-in user's (`users.language`, else PUENTE_LANGUAGE, as chat answers them when
their platform gives no hint); before anyone is signed in (the sign-in pages, a link that ran out, a
page that is not there), the language the browser asks for (Accept-Language), else PUENTE_LANGUAGE.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from puente import i18n
from puente.server.web.rendering import render
from puente.services.context import Context, Runtime
from puente.services.errors import PuenteError
from puente.services.users import signin
from puente.storage.models import User

COOKIE = "puente_session"


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def browser_language(request: Request) -> str:
    """The language of the browser's Accept-Language ("pt-BR,pt;q=0.9,en;q=0.8") Puente speaks, the most
    wanted first, else the deployment's."""
    asked = []
    for position, item in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, parameters = item.partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            asked.append((-weight, position, tag.strip()))
    spoken = (i18n.supported(tag) for _weight, _position, tag in sorted(asked))
    return next((code for code in spoken if code), runtime_of(request).settings.language)


def reader_language(runtime: Runtime, reader: User) -> str:
    return i18n.choose(reader.language, None, runtime.settings.language)


def visitor_language(request: Request) -> str:
    """The language of a page that belongs to no route (an address that is not there): the signed-in
    reader's, else the browser's."""
    runtime = runtime_of(request)
    if request.cookies.get(COOKIE):
        with runtime.reading() as ctx:
            try:
                return reader_language(runtime, signin.reader(ctx, request.cookies.get(COOKIE)))
            except PuenteError:
                pass
    return browser_language(request)


def show(
    request: Request,
    template: str,
    build: Callable[[Context], Mapping[str, Any]],
    *,
    active: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The page `template` with what `build` reads as the signed-in reader, in their language; a domain
    refusal instead names what to do (sign in again, ask an analyst)."""
    runtime = runtime_of(request)
    with runtime.reading() as ctx, i18n.language(browser_language(request)):
        try:
            ctx.actor = signin.reader(ctx, request.cookies.get(COOKIE))
        except PuenteError as error:
            return render("refused.html", None, {"message": str(error)}, status=error.http_status, active=active)
        # Rendered inside the unit of work: the records are read until the page is written.
        with i18n.language(reader_language(runtime, ctx.actor), ctx.actor.timezone):
            try:
                return render(template, ctx.actor, build(ctx), active=active, status=status)
            except PuenteError as error:
                return render(
                    "refused.html", ctx.actor, {"message": str(error)}, status=error.http_status, active=active
                )
