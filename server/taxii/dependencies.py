"""The steps every TAXII view takes, written once as FastAPI dependencies.

A view declares what it needs and gets it checked, in this order: an address not locked out after
failed logins (429), an authenticated partner (401) within its request rate (429), one that accepts
TAXII 2.1 (406), and for collection resources a collection it may see (404) with
the right to read or write it (403).

Authentication is the one step that reads the database, in a unit of work of its own that ends in
the worker thread it began in (no transaction stays open while a request waits for its next
thread); it loads the partner's collections with it, so the collection checks cost nothing more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from functools import partial
from typing import Annotated

from fastapi import Depends, Request

from puente.server.taxii.guards import Guards, tried
from puente.server.taxii.responses import TAXII_MEDIA_TYPE, TaxiiError, is_taxii_media_type
from puente.services.context import Context, Runtime
from puente.services.errors import Unauthenticated
from puente.services.feeds import collections, partners
from puente.services.feeds.records import AuthenticatedPartner, PartnerCollection


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _puente_runtime(request: Request) -> Runtime:
    return _runtime(request)


PuenteRuntime = Annotated[Runtime, Depends(_puente_runtime)]


def _check_accept(request: Request) -> None:
    accept = request.headers.get("accept", "")
    if not any(is_taxii_media_type(media_range) for media_range in accept.split(",")):
        raise TaxiiError(
            406, "Not acceptable", f"Send `Accept: {TAXII_MEDIA_TYPE}`; got {accept or 'no Accept header'!r}."
        )


def guards_of(request: Request) -> Guards:
    found: Guards = request.app.state.guards
    return found


def _partner(request: Request) -> AuthenticatedPartner:
    """HTTP Basic or `Authorization: Token <key>`, as issued by `puente partners add`; then the partner's
    request rate (server/taxii/guards.py) and the Accept check. Failed logins are counted per address."""
    guards, address = guards_of(request), request.client.host if request.client else "an unknown address"
    guards.before_login(address)
    authorization = request.headers.get("authorization")
    try:
        with _runtime(request).unit_of_work() as ctx:
            partner = partners.authenticate(ctx, authorization)
    except Unauthenticated:
        guards.failed_login(address, tried(authorization))
        raise
    guards.logged_in(address)
    guards.admit(partner.id, partner.name)
    _check_accept(request)
    return partner


Partner = Annotated[AuthenticatedPartner, Depends(_partner)]
"""The authenticated partner, which accepts TAXII 2.1."""

PartnerWork = Callable[[], AbstractContextManager[Context]]


async def _work(request: Request, partner: Partner) -> PartnerWork:
    return partial(_runtime(request).unit_of_work, actor_name=f"partner:{partner.name}")


Work = Annotated[PartnerWork, Depends(_work)]
"""Opens a unit of work on the partner's behalf: `with work() as ctx: ...`."""


async def _query_parameters(request: Request) -> list[tuple[str, str]]:
    return request.query_params.multi_items()


QueryParameters = Annotated[list[tuple[str, str]], Depends(_query_parameters)]
"""The request's query parameters as (name, value) pairs, repeats kept: the TAXII filters."""


def _collection(*, read: bool = False, write: bool = False) -> Callable[..., Awaitable[PartnerCollection]]:
    async def collection(collection_id: str, partner: Partner) -> PartnerCollection:
        return collections.collection_for(partner, collection_id, read=read, write=write)

    return collection


VisibleCollection = Annotated[PartnerCollection, Depends(_collection())]
"""The collection of the path, which the partner may see (404 otherwise)."""
ReadableCollection = Annotated[PartnerCollection, Depends(_collection(read=True))]
"""The collection of the path, which the partner may read (403 when it may only write)."""
WritableCollection = Annotated[PartnerCollection, Depends(_collection(write=True))]
"""The collection of the path, which the partner may write to (403 when it may only read)."""
DeletableCollection = Annotated[PartnerCollection, Depends(_collection(read=True, write=True))]
"""The collection of the path, from which the partner may delete: TAXII 2.1 asks it may read and write (403)."""
