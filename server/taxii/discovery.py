"""Discovery (/taxii2/) and the one API root (/taxii2/api/) it names."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from puente.server.taxii.dependencies import Partner, PuenteRuntime
from puente.server.taxii.responses import TAXII_MEDIA_TYPE, taxii_json
from puente.settings import Settings

API_ROOT_PATH = "/api/"

router = APIRouter()


def _api_root_url(settings: Settings) -> str:
    """TAXII 2.1: API root URLs MUST be https or relative (to discovery); http only when the operator asks for a lab."""
    base = settings.effective_base_url
    if base.startswith("https://") or settings.taxii_http_api_roots:
        return f"{base}/taxii2{API_ROOT_PATH}"
    return API_ROOT_PATH.lstrip("/")


@router.get("/")
async def discovery(_partner: Partner, runtime: PuenteRuntime) -> Response:
    settings = runtime.settings
    api_root_url = _api_root_url(settings)
    return taxii_json(
        {
            "title": f"Puente TAXII ({settings.csirt_name})",
            "description": f"Incident sharing from {settings.csirt_name} ({settings.csirt_country}).",
            "default": api_root_url,
            "api_roots": [api_root_url],
        }
    )


@router.get(API_ROOT_PATH)
async def api_root(_partner: Partner, runtime: PuenteRuntime) -> Response:
    settings = runtime.settings
    return taxii_json(
        {
            "title": f"{settings.csirt_name} sharing",
            "description": "Collections per audience, by TLP.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": settings.taxii_max_content_length,
        }
    )
