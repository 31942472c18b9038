"""The web view's routes: sign-in, and the pages (one module per page family), with its static files.

Every route is a GET that changes nothing but sign-in itself: there is no form that writes, so there is
nothing for another site to forge (CSRF), and every page reads afresh from the domain services.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from puente.server.web import overview, tickets
from puente.server.web.rendering import SECURITY_HEADERS, STATIC, render
from puente.server.web.session import COOKIE, runtime_of
from puente.services.errors import PuenteError
from puente.services.users import signin

router = APIRouter()
HOME = "/tickets"


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    if request.cookies.get(COOKIE):
        return RedirectResponse(HOME, status_code=303, headers=SECURITY_HEADERS)
    return render("signin.html", None, {})


@router.get(signin.SIGN_IN_PATH, response_class=HTMLResponse)
def sign_in(request: Request, token: str = "") -> Response:
    """Use a link from chat: it opens a session (the cookie) once, then the tickets."""
    runtime = runtime_of(request)
    try:
        with runtime.unit_of_work() as ctx:
            opened = signin.redeem(ctx, token)
    except PuenteError as error:
        return render("refused.html", None, {"message": str(error)}, status=error.http_status)
    response = RedirectResponse(HOME, status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        COOKIE,
        opened.token,
        max_age=int(signin.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        # Lax, not Strict: the first page after following the link from a chat app must see the session.
        samesite="lax",
        secure=runtime.settings.effective_base_url.startswith("https://"),
    )
    return response


def install(app: FastAPI) -> None:
    """Serve the web view under `/` of `app` (whose state holds the runtime)."""
    app.include_router(router)
    app.include_router(tickets.router)
    app.include_router(overview.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
