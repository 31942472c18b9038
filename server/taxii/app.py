"""The TAXII 2.1 server partners poll: discovery at /taxii2/, one API root at /taxii2/api/.

Views are thin: authenticate, negotiate media types, parse filters, call services/collections.py,
and write the response. Object pages are the stored JSON bytes joined into an envelope, so serving
never parses STIX; pages are keyed on date_added, so page N costs what page 1 costs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from puente.server.taxii import filters
from puente.services.context import Context, Runtime
from puente.services.errors import InvalidInput, PuenteError
from puente.services.feeds import collections, partners
from puente.stix.timestamps import format_timestamp
from puente.storage.collections import ObjectPage, TaxiiCollection, TaxiiStatus
from puente.storage.partners import Partner

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
API_ROOT_PATH = "/api/"
_BARE_TAXII = "application/taxii+json"


class TaxiiError(Exception):
    """An HTTP error answered with a TAXII error object."""

    def __init__(self, http_status: int, title: str, description: str) -> None:
        super().__init__(description)
        self.http_status = http_status
        self.title = title
        self.description = description


_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Server error",
}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=TAXII_MEDIA_TYPE, headers=headers)


def error_response(status: int, description: str, title: str | None = None) -> Response:
    body = {"title": title or _TITLES.get(status, "Error"), "description": description, "http_status": str(status)}
    headers = {"WWW-Authenticate": 'Basic realm="TAXII", Token'} if status == 401 else None
    return _json(body, status, headers)


def _taxii_media_range(value: str) -> bool:
    """True for application/taxii+json with no version or version 2.1."""
    media, *parameters = (part.strip() for part in value.split(";"))
    if media.lower() != _BARE_TAXII:
        return False
    for parameter in parameters:
        name, _, setting = parameter.partition("=")
        if name.strip().lower() == "version" and setting.strip().strip('"') != "2.1":
            return False
    return True


def _check_accept(request: Request) -> None:
    accept = request.headers.get("accept", "")
    if not any(_taxii_media_range(media_range) for media_range in accept.split(",")):
        raise TaxiiError(
            406, "Not acceptable", f"Send `Accept: {TAXII_MEDIA_TYPE}`; got {accept or 'no Accept header'!r}."
        )


def _date_headers(first: Any, last: Any) -> dict[str, str]:
    return {"X-TAXII-Date-Added-First": format_timestamp(first), "X-TAXII-Date-Added-Last": format_timestamp(last)}


def _page(rows: Sequence[Any], limit: int) -> tuple[Sequence[Any], bool]:
    return rows[:limit], len(rows) > limit


def _envelope(page: ObjectPage) -> Response:
    """The stored bytes of each object, joined into an envelope without parsing them."""
    if page.first_added is None or page.last_added is None:
        return Response(b'{"more":false}', media_type=TAXII_MEDIA_TYPE)
    head = (
        b'{"more":true,"next":"' + filters.next_token(page.last_added).encode() + b'",'
        if page.more
        else b'{"more":false,'
    )
    body = b"".join((head, b'"objects":[', b",".join(page.raws), b"]}"))
    return Response(body, media_type=TAXII_MEDIA_TYPE, headers=_date_headers(page.first_added, page.last_added))


def _listing(rows: Sequence[Any], limit: int, key: str, item: Callable[[Any], Any]) -> Response:
    rows, more = _page(rows, limit)
    if not rows:
        return _json({"more": False})
    body: dict[str, Any] = {"more": more}
    if more:
        body["next"] = filters.next_token(rows[-1][0])
    body[key] = [item(row) for row in rows]
    return _json(body, headers=_date_headers(rows[0][0], rows[-1][0]))


def _collection_resource(collection: TaxiiCollection, can_read: bool, can_write: bool) -> dict[str, Any]:
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "alias": collection.alias,
        "can_read": can_read,
        "can_write": can_write,
        "media_types": [STIX_MEDIA_TYPE],
    }


def _status_resource(status: TaxiiStatus) -> dict[str, Any]:
    return {
        "id": status.id,
        "status": "complete",
        "request_timestamp": format_timestamp(status.request_timestamp),
        "total_count": status.total_count,
        "success_count": status.success_count,
        "successes": status.successes,
        "failure_count": status.failure_count,
        "failures": status.failures,
        "pending_count": 0,
        "pendings": [],
    }


def create_taxii_app(runtime: Runtime) -> FastAPI:
    """The TAXII sub-application, mounted by puente/app.py at /taxii2."""
    app = FastAPI(title="Puente TAXII 2.1", docs_url=None, redoc_url=None, openapi_url=None)
    settings = runtime.settings
    api_root_url = f"{settings.effective_base_url}/taxii2{API_ROOT_PATH}"

    @contextmanager
    def partner_request(request: Request) -> Iterator[tuple[Context, Partner]]:
        with runtime.unit_of_work() as ctx:
            partner = partners.authenticate(ctx, request.headers.get("authorization"))
            _check_accept(request)
            ctx.actor_name = f"partner:{partner.name}"
            yield ctx, partner

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

    @app.get("/")
    def discovery(request: Request) -> Response:
        with partner_request(request):
            return _json(
                {
                    "title": f"Puente TAXII ({settings.csirt_name})",
                    "description": f"Incident sharing from {settings.csirt_name} ({settings.csirt_country}).",
                    "default": api_root_url,
                    "api_roots": [api_root_url],
                }
            )

    @app.get(API_ROOT_PATH)
    def api_root(request: Request) -> Response:
        with partner_request(request):
            return _json(
                {
                    "title": f"{settings.csirt_name} sharing",
                    "description": "Collections per audience, by TLP.",
                    "versions": [TAXII_MEDIA_TYPE],
                    "max_content_length": settings.taxii_max_content_length,
                }
            )

    # taxii2-client builds the status URL without the trailing slash.
    @app.get(API_ROOT_PATH + "status/{status_id}/")
    @app.get(API_ROOT_PATH + "status/{status_id}")
    def status(request: Request, status_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            return _json(_status_resource(collections.status_for(ctx, partner, status_id)))

    @app.get(API_ROOT_PATH + "collections/")
    def collection_list(request: Request) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.visible(ctx, partner)
            return _json({"collections": [_collection_resource(c, r.can_read, r.can_write) for c, r in found]})

    @app.get(API_ROOT_PATH + "collections/{collection_id}/")
    def collection(request: Request, collection_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.collection_for(ctx, partner, collection_id)
            rights = dict((c.id, r) for c, r in collections.visible(ctx, partner))[found.id]
            return _json(_collection_resource(found, rights.can_read, rights.can_write))

    @app.get(API_ROOT_PATH + "collections/{collection_id}/manifest/")
    def manifest(request: Request, collection_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.collection_for(ctx, partner, collection_id, read=True)
            query = filters.parse(request.query_params.multi_items(), settings.taxii_page_size, filters.OBJECTS)
            rows = collections.manifest(ctx, found, query)
            return _listing(
                rows,
                query.limit,
                "objects",
                lambda row: {
                    "id": row[1],
                    "date_added": format_timestamp(row[0]),
                    "version": row[2],
                    "media_type": f"application/stix+json;version={row[3]}",
                },
            )

    @app.get(API_ROOT_PATH + "collections/{collection_id}/objects/")
    def objects(request: Request, collection_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.collection_for(ctx, partner, collection_id, read=True)
            query = filters.parse(request.query_params.multi_items(), settings.taxii_page_size, filters.OBJECTS)
            return _envelope(collections.entries(ctx, found, query))

    @app.post(API_ROOT_PATH + "collections/{collection_id}/objects/")
    async def add_objects(request: Request, collection_id: str) -> Response:
        def check_access() -> None:
            with partner_request(request) as (ctx, partner):
                collections.collection_for(ctx, partner, collection_id, write=True)

        await run_in_threadpool(check_access)
        content_type = request.headers.get("content-type", "")
        if not _taxii_media_range(content_type):
            raise TaxiiError(
                415, "Unsupported media type", f"Send `Content-Type: {TAXII_MEDIA_TYPE}` with an envelope."
            )
        limit = settings.taxii_max_content_length
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TaxiiError(
                413, "Content too large", f"{declared} bytes is over this API root's max_content_length of {limit}."
            )
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise TaxiiError(
                    413, "Content too large", f"The body is over this API root's max_content_length of {limit} bytes."
                )
            chunks.append(chunk)
        try:
            envelope = orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError:
            raise InvalidInput('The body is not JSON: send a TAXII envelope {"objects": [...]}.') from None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
            raise InvalidInput('The body is not a TAXII envelope: send {"objects": [...]}.')
        posted = envelope["objects"]
        versions = [o.get("spec_version") for o in posted if isinstance(o, dict)]
        if posted and len(versions) == len(posted) and all(isinstance(v, str) and v != "2.1" for v in versions):
            raise TaxiiError(
                422,
                "Unsupported STIX version",
                f"This collection takes STIX 2.1 only; got spec_version {sorted({str(v) for v in versions})}.",
            )

        def store() -> dict[str, Any]:
            with partner_request(request) as (ctx, partner):
                found = collections.collection_for(ctx, partner, collection_id, write=True)
                return _status_resource(collections.receive(ctx, partner, found, posted))

        return _json(await run_in_threadpool(store), status=202)

    @app.get(API_ROOT_PATH + "collections/{collection_id}/objects/{object_id}/")
    def get_object(request: Request, collection_id: str, object_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.collection_for(ctx, partner, collection_id, read=True)
            query = filters.parse(request.query_params.multi_items(), settings.taxii_page_size, filters.OBJECT)
            if not collections.object_exists(ctx, found, object_id):
                raise TaxiiError(404, "Not found", f"No object {object_id} in collection {collection_id}.")
            return _envelope(collections.entries(ctx, found, query, object_id))

    @app.delete(API_ROOT_PATH + "collections/{collection_id}/objects/{object_id}/")
    def delete_object(request: Request, collection_id: str, object_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.collection_for(ctx, partner, collection_id, write=True)
            query = filters.parse(request.query_params.multi_items(), settings.taxii_page_size, filters.OBJECT)
            collections.delete_object(ctx, partner, found, object_id, query)
            return Response(status_code=200, media_type=TAXII_MEDIA_TYPE)

    @app.get(API_ROOT_PATH + "collections/{collection_id}/objects/{object_id}/versions/")
    def versions(request: Request, collection_id: str, object_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.collection_for(ctx, partner, collection_id, read=True)
            query = filters.parse(
                request.query_params.multi_items(), settings.taxii_page_size, filters.VERSIONS, all_versions=True
            )
            if not collections.object_exists(ctx, found, object_id):
                raise TaxiiError(404, "Not found", f"No object {object_id} in collection {collection_id}.")
            rows = collections.manifest(ctx, found, query, object_id)
            return _listing(rows, query.limit, "versions", lambda row: row[2])

    return app
