"""The web view's routes: sign-in, and the pages (one module per page family), with its static files.

Every page is a GET that changes nothing (it reads in a unit of work that is rolled back), so there is
nothing for another site to forge (CSRF), and every page reads afresh from the domain services. The one
POST signs in: it uses up the single-use link whose token it carries.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from puente.server.web import overview, tickets
from puente.server.web.rendering import SECURITY_HEADERS, STATIC, render
from puente.server.web.session import COOKIE, runtime_of
from puente.services.context import Runtime
from puente.services.errors import PuenteError
from puente.services.users import signin

router = APIRouter()
HOME = "/tickets"
FOREIGN_FORM = "Sign in from the link Puente gave you, not from another site's page."


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    if request.cookies.get(COOKIE):
        return RedirectResponse(HOME, status_code=303, headers=SECURITY_HEADERS)
    return render("signin.html", None, {})


@router.get(signin.SIGN_IN_PATH, response_class=HTMLResponse)
def sign_in_page(request: Request, token: str = "") -> Response:
    """A link from chat opens a page that asks to continue: chat apps fetch links to preview them, and
    such a fetch must not use up the link (it only reads)."""
    with runtime_of(request).reading() as ctx:
        try:
            signin.check_link(ctx, token)
        except PuenteError as error:
            return render("refused.html", None, {"message": str(error)}, status=error.http_status)
    return render("continue.html", None, {"token": token})


@router.post(signin.SIGN_IN_PATH, response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """Use the link (its token comes back in the form): it opens a session (the cookie) once, then the tickets."""
    runtime = runtime_of(request)
    if _from_another_site(request, runtime.settings.effective_base_url):
        # Another site may not sign a browser in, even with a link of its own (login CSRF).
        return render("refused.html", None, {"message": FOREIGN_FORM}, status=403)
    form = parse_qs((await request.body()).decode("ascii", errors="replace"))
    token = form.get("token", [""])[0]
    try:
        opened = await run_in_threadpool(_redeem, runtime, token)
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


def _from_another_site(request: Request, base_url: str) -> bool:
    """What the browser says of where a form comes from: Sec-Fetch-Site, and the Origin (which a page
    without referrers sends as "null")."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    return (site is not None and site not in ("same-origin", "none")) or origin not in (None, "null", base_url)


def _redeem(runtime: Runtime, token: str) -> signin.WebSession:
    with runtime.unit_of_work() as ctx:
        return signin.redeem(ctx, token)


def install(app: FastAPI) -> None:
    """Serve the web view under `/` of `app` (whose state holds the runtime)."""
    app.include_router(router)
    app.include_router(tickets.router)
    app.include_router(overview.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
