"""The versions resource: the versions of one object in a collection, a page at a time."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from puente.server.taxii import responses
from puente.server.taxii.dependencies import QueryParameters, ReadableCollection, Work
from puente.services.feeds import pages

router = APIRouter()


@router.get("/collections/{collection_id}/objects/{object_id}/versions/")
def versions(object_id: str, collection: ReadableCollection, params: QueryParameters, work: Work) -> Response:
    with work() as ctx:
        page = pages.versions(ctx, collection, object_id, params)
    return responses.versions(page)
