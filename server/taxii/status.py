"""The status resource: what became of one of the partner's POSTs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from puente.server.taxii.dependencies import Partner, Work
from puente.server.taxii.responses import status_resource, taxii_json
from puente.services.feeds import door

router = APIRouter()


# taxii2-client builds the status URL without the trailing slash.
@router.get("/status/{status_id}/")
@router.get("/status/{status_id}")
def status(status_id: str, partner: Partner, work: Work) -> Response:
    with work() as ctx:
        found = door.status_for(ctx, partner, status_id)
    return taxii_json(status_resource(found))
