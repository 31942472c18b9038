"""The one ASGI app `puente run` serves: health, the routers of TAXII and the chat webhooks, and the web view."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Protocol

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from puente import __version__
from puente.bot.telegram.webhook import TelegramService
from puente.server.taxii.app import create_taxii_app
from puente.server.taxii.responses import error_response
from puente.server.web import app as web
from puente.server.workers import Worker, WorkerPool
from puente.services.context import Runtime

log = logging.getLogger(__name__)


class ChatService(Protocol):
    """A chat platform's bot inside the app: its HTTP routes, and what runs while the app serves."""

    def router(self) -> APIRouter: ...

    def running(self) -> AbstractAsyncContextManager[None]: ...


def create_app(runtime: Runtime, workers: list[Worker] | None = None) -> FastAPI:
    """The HTTP app; `workers` run in the background for the app's lifetime (none by default, as in tests)."""

    settings = runtime.settings
    slack = None
    if settings.slack_bot_token and (settings.slack_signing_secret or settings.slack_app_token):
        from puente.bot.slack.app import SlackAdapter

        slack = SlackAdapter(runtime)
    # Chat platforms whose bots live as long as the app (webhook endpoints, polling loops).
    chats: list[ChatService] = []
    if settings.telegram_bot_token:
        chats.append(TelegramService(runtime))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pool = WorkerPool(runtime, workers or [])
        pool.start()
        socket_mode = slack.socket_mode() if slack is not None and settings.slack_app_token else None
        try:
            if socket_mode is not None:
                await socket_mode.connect_async()
            async with AsyncExitStack() as stack:
                for chat in chats:
                    await stack.enter_async_context(chat.running())
                yield
        finally:
            if socket_mode is not None:
                await socket_mode.close_async()
            if slack is not None:
                slack.close()
            pool.stop()

    app = FastAPI(title="Puente", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.slack = slack
    for chat in chats:
        app.include_router(chat.router())

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """Up or down, and nothing else: anyone may ask, so the why (a database host, a role) goes to the log."""
        try:
            with runtime.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # the probe's job is to report, not to raise
            log.error("health check: the database does not answer: %s", error)
            return JSONResponse({"status": "down"}, status_code=503)
        return JSONResponse({"status": "ok"})

    app.mount("/taxii2", create_taxii_app(runtime))
    web.install(app)

    @app.exception_handler(StarletteHTTPException)
    async def _outside_routes(request: Request, error: StarletteHTTPException) -> Response:
        # A path the TAXII mount cannot match (e.g. a control character in it) still gets a TAXII error.
        if request.url.path.startswith("/taxii2"):
            return error_response(error.status_code, str(error.detail))
        # A browser is shown a page in its language; a script keeps FastAPI's JSON.
        if "text/html" in request.headers.get("accept", ""):
            return web.error_page(request, error.status_code)
        return await http_exception_handler(request, error)

    if slack is not None and settings.slack_signing_secret:

        @app.post("/slack/events")
        async def slack_events(request: Request) -> Response:
            """Slash commands, button presses and modal submissions; bolt verifies the signature."""
            return await slack.http.handle(request)

    return app
