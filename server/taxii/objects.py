"""The objects resource: a collection's objects a page at a time, adding objects, and one object."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from puente.server.taxii import memory
from puente.server.taxii.dependencies import (
    DeletableCollection,
    Partner,
    PartnerWork,
    PuenteRuntime,
    QueryParameters,
    ReadableCollection,
    Work,
    WritableCollection,
    guards_of,
)
from puente.server.taxii.responses import (
    TAXII_MEDIA_TYPE,
    TaxiiError,
    envelope,
    is_taxii_media_type,
    status_resource,
    taxii_json,
)
from puente.services.assistance import answers
from puente.services.context import Runtime
from puente.services.errors import InvalidInput
from puente.services.feeds import collections, door, pages
from puente.services.feeds.records import AuthenticatedPartner

router = APIRouter()

# After a body this large the memory it took is handed back to the system (server/taxii/memory.py).
LARGE_UPLOAD = 1024 * 1024


@router.get("/collections/{collection_id}/objects/")
def objects(collection: ReadableCollection, params: QueryParameters, work: Work) -> Response:
    with work() as ctx:
        page = pages.objects_page(ctx, collection, params)
    return envelope(page)


async def _body(request: Request, limit: int, read_timeout: float) -> bytes:
    """The body, refused when it is over `limit` bytes or stops arriving for `read_timeout` seconds."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TaxiiError(
            413, "Content too large", f"{declared} bytes is over this API root's max_content_length of {limit}."
        )
    chunks: list[bytes] = []
    size = 0
    stream = request.stream()
    while True:
        try:
            chunk = await asyncio.wait_for(anext(stream, None), read_timeout)
        except TimeoutError:
            raise TaxiiError(
                408, "Request timeout", f"The body stopped arriving for {read_timeout:g} s: send it again, whole."
            ) from None
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise TaxiiError(
                413, "Content too large", f"The body is over this API root's max_content_length of {limit} bytes."
            )
        chunks.append(chunk)


async def _posted_objects(request: Request, limit: int, read_timeout: float) -> tuple[list[Any], int]:
    """The objects of the envelope in the body and the body's size, refused whole when the body is not one
    a collection takes."""
    if not is_taxii_media_type(request.headers.get("content-type", "")):
        raise TaxiiError(415, "Unsupported media type", f"Send `Content-Type: {TAXII_MEDIA_TYPE}` with an envelope.")
    body = await _body(request, limit, read_timeout)
    try:
        posted = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput('The body is not JSON: send a TAXII envelope {"objects": [...]}.') from None
    if not isinstance(posted, dict) or not isinstance(posted.get("objects"), list):
        raise InvalidInput('The body is not a TAXII envelope: send {"objects": [...]}.')
    objects: list[Any] = posted["objects"]
    versions = [o.get("spec_version") for o in objects if isinstance(o, dict)]
    if objects and len(versions) == len(objects) and all(isinstance(v, str) and v != "2.1" for v in versions):
        raise TaxiiError(
            422,
            "Unsupported STIX version",
            f"This collection takes STIX 2.1 only; got spec_version {sorted({str(v) for v in versions})}.",
        )
    return objects, len(body)


@router.post("/collections/{collection_id}/objects/")
async def add_objects(
    request: Request, collection: WritableCollection, partner: Partner, work: Work, runtime: PuenteRuntime
) -> Response:
    settings = runtime.settings
    with guards_of(request).upload(partner.id, partner.name):
        posted, size = await _posted_objects(request, settings.taxii_max_content_length, settings.taxii_read_timeout)
        # Screened before any transaction, then stored a batch per transaction (services/feeds/door.py).
        screened = await run_in_threadpool(door.screen, partner, posted)
        del posted
        if any(entry.type == "note" for entry in screened.accepted):
            await run_in_threadpool(_refuse_out_of_turn, work, partner, screened)
        status = await run_in_threadpool(door.receive, work, partner, collection, screened)
        del screened
    if size > LARGE_UPLOAD:  # however it was sent: a chunked body declares no length
        _give_back_when_over(runtime)
    return taxii_json(status_resource(status), status=202)


def _give_back_when_over(runtime: Runtime) -> None:
    """Hand memory back once this request is over: its answer sent and what its frames held of the upload
    (the status names every object) freed, so that the collection frees everything the upload left."""
    loop = asyncio.get_running_loop()
    request = asyncio.current_task()
    assert request is not None, "an endpoint runs in the request's task"
    request.add_done_callback(lambda _over: loop.run_in_executor(None, memory.give_back, runtime))


def _refuse_out_of_turn(work: PartnerWork, partner: AuthenticatedPartner, screened: door.Screened) -> None:
    """An assistance message its sender may not send now is refused here, as a failure in the status."""
    with work() as ctx:
        answers.refuse_out_of_turn(ctx, partner.identity_ref, screened)


@router.get("/collections/{collection_id}/objects/{object_id}/")
def get_object(object_id: str, collection: ReadableCollection, params: QueryParameters, work: Work) -> Response:
    with work() as ctx:
        page = pages.object_page(ctx, collection, object_id, params)
    return envelope(page)


@router.delete("/collections/{collection_id}/objects/{object_id}/")
def delete_object(
    object_id: str, collection: DeletableCollection, partner: Partner, params: QueryParameters, work: Work
) -> Response:
    with work() as ctx:
        collections.delete_object(ctx, partner, collection, object_id, params)
    return Response(status_code=200, media_type=TAXII_MEDIA_TYPE)
