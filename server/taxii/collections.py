"""The collections resource: the partner's collections, and one of them, with its rights."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from puente.server.taxii.dependencies import Partner, VisibleCollection
from puente.server.taxii.responses import STIX_MEDIA_TYPE, taxii_json
from puente.services.feeds.records import PartnerCollection

router = APIRouter()


def _resource(collection: PartnerCollection) -> dict[str, Any]:
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "alias": collection.alias,
        "can_read": collection.can_read,
        "can_write": collection.can_write,
        "media_types": [STIX_MEDIA_TYPE],
    }


@router.get("/collections/")
async def collection_list(partner: Partner) -> Response:
    return taxii_json({"collections": [_resource(collection) for collection in partner.collections]})


@router.get("/collections/{collection_id}/")
async def collection(found: VisibleCollection) -> Response:
    return taxii_json(_resource(found))
