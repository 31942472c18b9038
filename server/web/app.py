"""The web view's routes: sign-in, and the pages (one module per page family), with its static files.

Every page is a GET that changes nothing (it reads in a unit of work that is rolled back), so there is
nothing for another site to forge (CSRF), and every page reads afresh from the domain services. The one
POST signs in: it uses up the single-use link whose token it carries.
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from puente import i18n
from puente.i18n import _
from puente.server.web import overview, tickets
from puente.server.web.rendering import SECURITY_HEADERS, STATIC, render
from puente.server.web.session import COOKIE, browser_language, runtime_of, visitor_language
from puente.services.context import Runtime
from puente.services.errors import PuenteError
from puente.services.users import signin

router = APIRouter()
HOME = "/tickets"


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    if request.cookies.get(COOKIE):
        return RedirectResponse(HOME, status_code=303, headers=SECURITY_HEADERS)
    with i18n.language(browser_language(request)):
        return render("signin.html", None, {})


@router.get(signin.SIGN_IN_PATH, response_class=HTMLResponse)
def sign_in_page(request: Request, token: str = "") -> Response:
    """A link from chat opens a page that asks to continue: chat apps fetch links to preview them, and
    such a fetch must not use up the link (it only reads)."""
    with runtime_of(request).reading() as ctx, i18n.language(browser_language(request)):
        try:
            signin.check_link(ctx, token)
        except PuenteError as error:
            return render("refused.html", None, {"message": str(error)}, status=error.http_status)
        return render("continue.html", None, {"token": token})


@router.post(signin.SIGN_IN_PATH, response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """Use the link (its token comes back in the form): it opens a session (the cookie) once, then the tickets."""
    runtime = runtime_of(request)
    reading = browser_language(request)
    if _from_another_site(request, runtime.settings.effective_base_url):
        # Another site may not sign a browser in, even with a link of its own (login CSRF).
        with i18n.language(reading):
            foreign = _("Sign in from the link Puente gave you, not from another site's page.")
            return render("refused.html", None, {"message": foreign}, status=403)
    form = parse_qs((await request.body()).decode("ascii", errors="replace"))
    token = form.get("token", [""])[0]
    try:
        opened = await run_in_threadpool(_redeem, runtime, token, reading)
    except PuenteError as error:
        with i18n.language(reading):
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


def _from_another_site(request: Request, base_url: str) -> bool:
    """What the browser says of where a form comes from: Sec-Fetch-Site, and the Origin (which a page
    without referrers sends as "null")."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    return (site is not None and site not in ("same-origin", "none")) or origin not in (None, "null", base_url)


def _redeem(runtime: Runtime, token: str, reading: str) -> signin.WebSession:
    # The refusal (a link used already, or run out) is worded in the thread that meets it.
    with runtime.unit_of_work() as ctx, i18n.language(reading):
        return signin.redeem(ctx, token)


def error_page(request: Request, status: int) -> HTMLResponse:
    """A page for an address the web view does not have (404) or a method it does not take (405), in the
    reader's language (the browser's before sign-in)."""
    with i18n.language(visitor_language(request)):
        if status == HTTPStatus.NOT_FOUND:
            message = _("There is no page at this address. The tickets are at {home}.").format(home=HOME)
        else:
            message = _("This page cannot be opened that way ({status}).").format(status=status)
        return render("refused.html", None, {"message": message}, status=status)


def install(app: FastAPI) -> None:
    """Serve the web view under `/` of `app` (whose state holds the runtime)."""
    app.include_router(router)
    app.include_router(tickets.router)
    app.include_router(overview.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
