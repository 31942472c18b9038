"""The TAXII 2.1 server partners poll: discovery at /taxii2/, one API root at /taxii2/api/.

One view module per TAXII resource, each an APIRouter; the steps they share (the authenticated
partner, the Accept check, the collection and its rights) are dependencies (dependencies.py), and
what goes on the wire is written in responses.py. The views read records from the feeds domain.
Domain errors, TAXII errors and the framework's own are all answered here, as TAXII error objects.
"""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from puente.server.taxii import collections, discovery, manifest, memory, objects, status, versions
from puente.server.taxii.guards import Guards
from puente.server.taxii.responses import TaxiiError, error_response
from puente.services.context import Runtime
from puente.services.errors import PuenteError

log = logging.getLogger(__name__)


def _answer_errors_as_taxii(app: FastAPI) -> None:
    @app.exception_handler(TaxiiError)
    def _taxii_error(_request: Request, error: TaxiiError) -> Response:
        return error_response(error.http_status, error.description, error.title, error.headers)

    @app.exception_handler(PuenteError)
    def _domain_error(_request: Request, error: PuenteError) -> Response:
        return error_response(error.http_status, str(error))

    @app.exception_handler(StarletteHTTPException)
    def _http_error(_request: Request, error: StarletteHTTPException) -> Response:
        return error_response(error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    def _validation_error(_request: Request, error: RequestValidationError) -> Response:
        return error_response(400, "; ".join(str(e.get("msg")) for e in error.errors()))

    @app.exception_handler(Exception)
    def _unexpected(request: Request, error: Exception) -> Response:
        # A defect, not the partner's fault: logged with its traceback, answered as TAXII (never text/plain).
        log.error("TAXII %s %s failed", request.method, request.url.path, exc_info=error)
        return error_response(500, "The server failed on this request; it is logged. Try again later.")


async def _no_nul(request: Request) -> None:
    """No NUL character in the path or a query parameter: no id, filter or token ever holds one."""
    if "\x00" in request.scope["path"] or any(
        "\x00" in k or "\x00" in v for k, v in request.query_params.multi_items()
    ):
        raise TaxiiError(400, "Bad request", "The path or a query parameter contains a NUL character (%00).")


def create_taxii_app(runtime: Runtime) -> FastAPI:
    """The TAXII sub-application, mounted by server/app.py at /taxii2."""
    app = FastAPI(
        title="Puente TAXII 2.1", docs_url=None, redoc_url=None, openapi_url=None, dependencies=[Depends(_no_nul)]
    )
    app.state.runtime = runtime
    memory.fix_allocator_thresholds()  # before any upload can make glibc's thresholds slide
    app.state.guards = Guards(runtime.settings, runtime.clock)
    _answer_errors_as_taxii(app)
    app.include_router(discovery.router)
    for resource in (status, collections, manifest, objects, versions):
        app.include_router(resource.router, prefix=discovery.API_ROOT_PATH.rstrip("/"))
    return app
