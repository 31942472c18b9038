"""TAXII 2.1 query parameters (added_after, limit, next, match[…]) turned into a storage query.

Malformed parameters are a 400 (spec 3.4). Fields an endpoint does not support are ignored, as the
spec allows for fields a server does not understand. The `next` token is made and read here, so its
format is known in one place.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import datetime

from puente.i18n import _
from puente.services.errors import InvalidInput
from puente.stix.timestamps import format_timestamp, parse_timestamp
from puente.storage.collections import EntryQuery

OBJECTS = frozenset({"id", "type", "version", "spec_version"})
OBJECT = frozenset({"version", "spec_version"})
VERSIONS = frozenset({"spec_version"})
VERSION_KEYWORDS = ("first", "last", "all")


def next_token(date_added: datetime) -> str:
    """Opaque to clients: the date_added of the last row served, which is unique in a collection."""
    return base64.urlsafe_b64encode(format_timestamp(date_added).encode()).decode().rstrip("=")


def _from_token(token: str) -> datetime:
    try:
        padded = token + "=" * (-len(token) % 4)
        return parse_timestamp(base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii"))
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidInput(
            _("next={token!r} is not a token this server gave: repeat the request without it.").format(token=token)
        ) from None


def _values(name: str, raw: str) -> list[str]:
    values = raw.split(",")
    if any(not v for v in values):
        raise InvalidInput(_("{name} has an empty value: separate values with ',' and no spaces.").format(name=name))
    if len(set(values)) != len(values):
        raise InvalidInput(_("{name} repeats a value.").format(name=name))
    return values


def parse(
    params: Iterable[tuple[str, str]], page_size: int, fields: frozenset[str], *, all_versions: bool = False
) -> EntryQuery:
    """Build the query; `all_versions` is for the versions endpoint, which lists every version."""
    seen: dict[str, str] = {}
    for name, value in params:
        if name in seen:
            raise InvalidInput(_("{name} appears twice: give it once, with values separated by ','.").format(name=name))
        seen[name] = value
    query = EntryQuery(limit=page_size, all_versions=all_versions)
    after: datetime | None = None
    if "added_after" in seen:
        try:
            after = parse_timestamp(seen["added_after"])
        except ValueError as error:
            raise InvalidInput(_("added_after: {error}.").format(error=error)) from None
    if "next" in seen:
        cursor = _from_token(seen["next"])
        after = cursor if after is None else max(after, cursor)
    query.after = after
    if "limit" in seen:
        text = seen["limit"]
        digits = text.lstrip("0")
        if not text.isascii() or not text.isdigit() or not digits:
            raise InvalidInput(_("limit={value!r}: give a positive whole number.").format(value=text[:40]))
        # Any number longer than the page size is capped by it: no need to read thousands of digits.
        query.limit = page_size if len(digits) > len(str(page_size)) else min(int(digits), page_size)
    if "id" in fields and "match[id]" in seen:
        query.ids = _values("match[id]", seen["match[id]"])
    if "type" in fields and "match[type]" in seen:
        query.types = _values("match[type]", seen["match[type]"])
    if "spec_version" in fields and "match[spec_version]" in seen:
        query.spec_versions = _values("match[spec_version]", seen["match[spec_version]"])
    if "version" in fields and "match[version]" in seen:
        values = _values("match[version]", seen["match[version]"])
        if "all" in values and len(values) > 1:
            raise InvalidInput(_("match[version]=all cannot be combined with other versions."))
        query.all_versions = "all" in values
        query.first = "first" in values
        query.last = "last" in values
        stamps = []
        for value in values:
            if value in VERSION_KEYWORDS:
                continue
            try:
                stamps.append(parse_timestamp(value))
            except ValueError:
                raise InvalidInput(
                    _("match[version]={value!r}: use first, last, all or a timestamp.").format(value=value)
                ) from None
        query.versions = tuple(stamps)
    return query
