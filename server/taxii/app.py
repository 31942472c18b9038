"""The TAXII 2.1 server partners poll: discovery at /taxii2/, one API root at /taxii2/api/.

One view module per TAXII resource, each an APIRouter; the steps they share (the authenticated
partner, the Accept check, the collection and its rights) are dependencies (dependencies.py), and
what goes on the wire is written in responses.py. The views read records from the feeds domain.
Domain errors, TAXII errors and the framework's own are all answered here, as TAXII error objects.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from puente.server.taxii import collections, discovery, manifest, objects, status, versions
from puente.server.taxii.responses import TaxiiError, error_response
from puente.services.context import Runtime
from puente.services.errors import PuenteError


def _answer_errors_as_taxii(app: FastAPI) -> None:
    @app.exception_handler(TaxiiError)
    def _taxii_error(_request: Request, error: TaxiiError) -> Response:
        return error_response(error.http_status, error.description, error.title)

    @app.exception_handler(PuenteError)
    def _domain_error(_request: Request, error: PuenteError) -> Response:
        return error_response(error.http_status, str(error))

    @app.exception_handler(StarletteHTTPException)
    def _http_error(_request: Request, error: StarletteHTTPException) -> Response:
        return error_response(error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    def _validation_error(_request: Request, error: RequestValidationError) -> Response:
        return error_response(400, "; ".join(str(e.get("msg")) for e in error.errors()))


def create_taxii_app(runtime: Runtime) -> FastAPI:
    """The TAXII sub-application, mounted by server/app.py at /taxii2."""
    app = FastAPI(title="Puente TAXII 2.1", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    _answer_errors_as_taxii(app)
    app.include_router(discovery.router)
    for resource in (status, collections, manifest, objects, versions):
        app.include_router(resource.router, prefix=discovery.API_ROOT_PATH.rstrip("/"))
    return app
