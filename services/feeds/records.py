"""What the feeds domain hands the TAXII server: typed, frozen records of what a partner is served.

No storage rows leave the domain: a view reads these fields and writes them on the wire. Pages keep
the stored JSON bytes of each object, so serving one never parses STIX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PartnerCollection:
    """A collection as one partner sees it: what it is called and what that partner may do with it."""

    id: str
    alias: str
    title: str
    description: str
    can_read: bool
    can_write: bool


@dataclass(frozen=True)
class AuthenticatedPartner:
    """A partner whose credentials checked out, with the collections it was granted as of that check.

    `identity_ref` is the STIX identity it may create objects as.
    """

    id: int
    name: str
    identity_ref: str | None
    collections: Sequence[PartnerCollection]


@dataclass(frozen=True)
class EnvelopePage:
    """One page of objects, oldest first: each object's stored JSON, and the date_added of the page's ends.

    `next` is the token that asks for the following page; it is set exactly when `more` is.
    """

    objects: Sequence[bytes]
    more: bool
    next: str | None
    first_added: datetime | None
    last_added: datetime | None


@dataclass(frozen=True)
class ManifestEntry:
    """One object version as a manifest lists it."""

    id: str
    date_added: datetime
    version: str
    spec_version: str


@dataclass(frozen=True)
class ManifestPage:
    """One page of a collection's manifest, with the same paging fields as an `EnvelopePage`."""

    entries: Sequence[ManifestEntry]
    more: bool
    next: str | None
    first_added: datetime | None
    last_added: datetime | None


@dataclass(frozen=True)
class VersionsPage:
    """One page of the versions of one object (their `modified` timestamps, as stored)."""

    versions: Sequence[str]
    more: bool
    next: str | None
    first_added: datetime | None
    last_added: datetime | None


@dataclass(frozen=True)
class StatusDetail:
    """What became of one posted object version."""

    id: str
    version: str
    message: str


@dataclass(frozen=True)
class PostStatus:
    """The outcome of one partner's POST to a collection; Puente stores synchronously, so it is final."""

    id: str
    request_timestamp: datetime
    total_count: int
    success_count: int
    successes: Sequence[StatusDetail]
    failure_count: int
    failures: Sequence[StatusDetail]
