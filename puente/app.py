"""The one ASGI app `puente run` serves: health, and the routers of TAXII and the chat webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from puente import __version__
from puente.workers import Worker, WorkerPool
from services.context import Runtime
from taxii.server import create_taxii_app


def create_app(runtime: Runtime, workers: list[Worker] | None = None) -> FastAPI:
    """The HTTP app; `workers` run in the background for the app's lifetime (none by default, as in tests)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pool = WorkerPool(runtime, workers or [])
        pool.start()
        try:
            yield
        finally:
            pool.stop()

    app = FastAPI(title="Puente", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.runtime = runtime

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            with runtime.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # the probe's job is to report, not to raise
            return JSONResponse({"status": "error", "database": str(error)}, status_code=503)
        return JSONResponse({"status": "ok", "csirt": runtime.settings.csirt_name, "version": __version__})

    app.mount("/taxii2", create_taxii_app(runtime))

    return app
