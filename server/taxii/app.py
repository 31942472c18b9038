"""The TAXII 2.1 server partners poll: discovery at /taxii2/, one API root at /taxii2/api/.

Views are thin: authenticate, negotiate media types, call the feeds domain, and write the records
it returns. Object pages are the stored JSON bytes joined into an envelope, so serving
never parses STIX; pages are keyed on date_added, so page N costs what page 1 costs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from puente.services.context import Context, Runtime
from puente.services.errors import InvalidInput, PuenteError
from puente.services.feeds import collections, pages, partners
from puente.services.feeds.records import (
    AuthenticatedPartner,
    EnvelopePage,
    ManifestPage,
    PartnerCollection,
    PostStatus,
    StatusDetail,
    VersionsPage,
)
from puente.stix.timestamps import format_timestamp

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


def _date_headers(first: datetime, last: datetime) -> dict[str, str]:
    return {"X-TAXII-Date-Added-First": format_timestamp(first), "X-TAXII-Date-Added-Last": format_timestamp(last)}


def _envelope(page: EnvelopePage) -> Response:
    """The stored bytes of each object, joined into an envelope without parsing them."""
    if page.first_added is None or page.last_added is None:
        return Response(b'{"more":false}', media_type=TAXII_MEDIA_TYPE)
    head = b'{"more":true,"next":"' + page.next.encode() + b'",' if page.next is not None else b'{"more":false,'
    body = b"".join((head, b'"objects":[', b",".join(page.objects), b"]}"))
    return Response(body, media_type=TAXII_MEDIA_TYPE, headers=_date_headers(page.first_added, page.last_added))


def _listing(page: ManifestPage | VersionsPage, key: str, items: list[Any]) -> Response:
    if page.first_added is None or page.last_added is None:
        return _json({"more": False})
    body: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next
    body[key] = items
    return _json(body, headers=_date_headers(page.first_added, page.last_added))


def _collection_resource(collection: PartnerCollection) -> dict[str, Any]:
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "alias": collection.alias,
        "can_read": collection.can_read,
        "can_write": collection.can_write,
        "media_types": [STIX_MEDIA_TYPE],
    }


def _details(details: Sequence[StatusDetail]) -> list[dict[str, str]]:
    return [{"id": d.id, "version": d.version, "message": d.message} for d in details]


def _status_resource(status: PostStatus) -> dict[str, Any]:
    return {
        "id": status.id,
        "status": "complete",
        "request_timestamp": format_timestamp(status.request_timestamp),
        "total_count": status.total_count,
        "success_count": status.success_count,
        "successes": _details(status.successes),
        "failure_count": status.failure_count,
        "failures": _details(status.failures),
        "pending_count": 0,
        "pendings": [],
    }


def create_taxii_app(runtime: Runtime) -> FastAPI:
    """The TAXII sub-application, mounted by puente/app.py at /taxii2."""
    app = FastAPI(title="Puente TAXII 2.1", docs_url=None, redoc_url=None, openapi_url=None)
    settings = runtime.settings
    api_root_url = f"{settings.effective_base_url}/taxii2{API_ROOT_PATH}"

    @contextmanager
    def partner_request(request: Request) -> Iterator[tuple[Context, AuthenticatedPartner]]:
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
            return _json({"collections": [_collection_resource(c) for c in collections.visible(ctx, partner)]})

    @app.get(API_ROOT_PATH + "collections/{collection_id}/")
    def collection(request: Request, collection_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            return _json(_collection_resource(collections.collection_for(ctx, partner, collection_id)))

    @app.get(API_ROOT_PATH + "collections/{collection_id}/manifest/")
    def manifest(request: Request, collection_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.collection_for(ctx, partner, collection_id, read=True)
            page = pages.manifest(ctx, found, request.query_params.multi_items())
            return _listing(
                page,
                "objects",
                [
                    {
                        "id": entry.id,
                        "date_added": format_timestamp(entry.date_added),
                        "version": entry.version,
                        "media_type": f"application/stix+json;version={entry.spec_version}",
                    }
                    for entry in page.entries
                ],
            )

    @app.get(API_ROOT_PATH + "collections/{collection_id}/objects/")
    def objects(request: Request, collection_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.collection_for(ctx, partner, collection_id, read=True)
            return _envelope(pages.objects_page(ctx, found, request.query_params.multi_items()))

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
            return _envelope(pages.object_page(ctx, found, object_id, request.query_params.multi_items()))

    @app.delete(API_ROOT_PATH + "collections/{collection_id}/objects/{object_id}/")
    def delete_object(request: Request, collection_id: str, object_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.collection_for(ctx, partner, collection_id, write=True)
            collections.delete_object(ctx, partner, found, object_id, request.query_params.multi_items())
            return Response(status_code=200, media_type=TAXII_MEDIA_TYPE)

    @app.get(API_ROOT_PATH + "collections/{collection_id}/objects/{object_id}/versions/")
    def versions(request: Request, collection_id: str, object_id: str) -> Response:
        with partner_request(request) as (ctx, partner):
            found = collections.collection_for(ctx, partner, collection_id, read=True)
            page = pages.versions(ctx, found, object_id, request.query_params.multi_items())
            return _listing(page, "versions", list(page.versions))

    return app
