"""Reading a collection a page at a time, for the TAXII server: objects, manifest, versions.

Pages are keyed on date_added, so page N costs what page 1 costs. An object page carries the stored
JSON bytes as they are, so serving never parses STIX, and date_added is converted for its two ends
only. `params` are the request's TAXII query parameters (services/feeds/filters.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import NotFound
from puente.services.feeds import filters
from puente.services.feeds.records import EnvelopePage, ManifestEntry, ManifestPage, PartnerCollection, VersionsPage
from puente.storage import collections
from puente.storage.collections import EntryQuery, ObjectPage


def require_object(ctx: Context, collection: PartnerCollection, stix_id: str) -> None:
    """404 unless the collection holds at least one version of the object."""
    if not collections.object_exists(ctx.session, collection.id, stix_id):
        raise NotFound(_("No object {stix_id} in collection {id}.").format(stix_id=stix_id, id=collection.id))


def _envelope_page(page: ObjectPage) -> EnvelopePage:
    token = filters.next_token(page.last_added) if page.more and page.last_added is not None else None
    return EnvelopePage(page.raws, page.more, token, page.first_added, page.last_added)


def objects_page(ctx: Context, collection: PartnerCollection, params: Iterable[tuple[str, str]]) -> EnvelopePage:
    """A page of the collection's objects, as their stored bytes."""
    query = filters.parse(params, ctx.settings.taxii_page_size, filters.OBJECTS)
    return _envelope_page(collections.page_raw(ctx.session, collection.id, query))


def object_page(
    ctx: Context, collection: PartnerCollection, stix_id: str, params: Iterable[tuple[str, str]]
) -> EnvelopePage:
    """A page of the versions of one object, as their stored bytes; 404 when the collection has none."""
    query = filters.parse(params, ctx.settings.taxii_page_size, filters.OBJECT)
    require_object(ctx, collection, stix_id)
    return _envelope_page(collections.page_raw(ctx.session, collection.id, query, stix_id))


def _manifest_page(ctx: Context, collection: PartnerCollection, query: EntryQuery, stix_id: str | None) -> ManifestPage:
    rows = collections.page_manifest(ctx.session, collection.id, query, stix_id)
    entries = [
        ManifestEntry(id=row.stix_id, date_added=row.date_added, version=row.version, spec_version=row.spec_version)
        for row in rows[: query.limit]
    ]
    if not entries:
        return ManifestPage([], False, None, None, None)
    more = len(rows) > query.limit
    last = entries[-1].date_added
    return ManifestPage(entries, more, filters.next_token(last) if more else None, entries[0].date_added, last)


def manifest(ctx: Context, collection: PartnerCollection, params: Iterable[tuple[str, str]]) -> ManifestPage:
    """A page of the collection's manifest: which object versions it holds, without their content."""
    query = filters.parse(params, ctx.settings.taxii_page_size, filters.OBJECTS)
    return _manifest_page(ctx, collection, query, None)


def versions(
    ctx: Context, collection: PartnerCollection, stix_id: str, params: Iterable[tuple[str, str]]
) -> VersionsPage:
    """A page of the versions of one object; 404 when the collection has none."""
    query = filters.parse(params, ctx.settings.taxii_page_size, filters.VERSIONS, all_versions=True)
    require_object(ctx, collection, stix_id)
    page = _manifest_page(ctx, collection, query, stix_id)
    return VersionsPage([e.version for e in page.entries], page.more, page.next, page.first_added, page.last_added)
