"""TAXII 2.1 on the wire, written once: media types, error objects and the bodies of listings.

An object page is the stored JSON bytes of each object joined into an envelope, so serving never
parses STIX; only the date_added of a page's two ends is formatted, for its headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from fastapi.responses import Response

from puente.services.feeds.records import EnvelopePage, ManifestPage, PostStatus, StatusDetail, VersionsPage
from puente.stix.timestamps import format_timestamp

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_BARE_TAXII = "application/taxii+json"

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    408: "Request timeout",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Server error",
}


class TaxiiError(Exception):
    """An HTTP error answered with a TAXII error object (domain errors are mapped in server/taxii/app.py)."""

    def __init__(self, http_status: int, title: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.http_status = http_status
        self.title = title
        self.description = description
        self.headers = headers


def taxii_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=TAXII_MEDIA_TYPE, headers=headers)


def error_response(
    status: int, description: str, title: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """A TAXII error object; a 401 says which credentials to send, a 429 when to come back (`headers`)."""
    body = {"title": title or _TITLES.get(status, "Error"), "description": description, "http_status": str(status)}
    if status == 401:
        headers = (headers or {}) | {"WWW-Authenticate": 'Basic realm="TAXII", Token'}
    return taxii_json(body, status, headers)


def is_taxii_media_type(value: str) -> bool:
    """True for application/taxii+json with no version or version 2.1 (an Accept range or a Content-Type)."""
    media, *parameters = (part.strip() for part in value.split(";"))
    if media.lower() != _BARE_TAXII:
        return False
    for parameter in parameters:
        name, _, setting = parameter.partition("=")
        if name.strip().lower() == "version" and setting.strip().strip('"') != "2.1":
            return False
    return True


def _date_headers(first: datetime, last: datetime) -> dict[str, str]:
    return {"X-TAXII-Date-Added-First": format_timestamp(first), "X-TAXII-Date-Added-Last": format_timestamp(last)}


def envelope(page: EnvelopePage) -> Response:
    """The stored bytes of each object, joined into an envelope without parsing them."""
    if page.first_added is None or page.last_added is None:
        return Response(b'{"more":false}', media_type=TAXII_MEDIA_TYPE)
    head = b'{"more":true,"next":"' + page.next.encode() + b'",' if page.next is not None else b'{"more":false,'
    body = b"".join((head, b'"objects":[', b",".join(page.objects), b"]}"))
    return Response(body, media_type=TAXII_MEDIA_TYPE, headers=_date_headers(page.first_added, page.last_added))


def _listing(page: ManifestPage | VersionsPage, key: str, items: list[Any]) -> Response:
    if page.first_added is None or page.last_added is None:
        return taxii_json({"more": False})
    body: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next
    body[key] = items
    return taxii_json(body, headers=_date_headers(page.first_added, page.last_added))


def manifest(page: ManifestPage) -> Response:
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


def versions(page: VersionsPage) -> Response:
    return _listing(page, "versions", list(page.versions))


def _details(details: Sequence[StatusDetail]) -> list[dict[str, str]]:
    return [{"id": d.id, "version": d.version, "message": d.message} for d in details]


def status_resource(status: PostStatus) -> dict[str, Any]:
    """The status resource of a POST; Puente stores synchronously, so nothing is ever pending.

    TAXII 2.1 forbids empty lists in a resource: an empty successes or failures list is left out.
    """
    body: dict[str, Any] = {
        "id": status.id,
        "status": "complete",
        "request_timestamp": format_timestamp(status.request_timestamp),
        "total_count": status.total_count,
        "success_count": status.success_count,
        "failure_count": status.failure_count,
        "pending_count": 0,
    }
    if status.successes:
        body["successes"] = _details(status.successes)
    if status.failures:
        body["failures"] = _details(status.failures)
    return body
