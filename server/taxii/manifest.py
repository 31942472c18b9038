"""The manifest resource: which object versions a collection holds, a page at a time."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from puente.server.taxii import responses
from puente.server.taxii.dependencies import QueryParameters, ReadableCollection, Work
from puente.services.feeds import pages

router = APIRouter()


@router.get("/collections/{collection_id}/manifest/")
def manifest(collection: ReadableCollection, params: QueryParameters, work: Work) -> Response:
    with work() as ctx:
        page = pages.manifest(ctx, collection, params)
    return responses.manifest(page)
