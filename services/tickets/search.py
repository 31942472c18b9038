"""Finding tickets: the listings of chat (`/incident list`) and of the web view come from here, filtered
by what the reader may read (readers.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations

from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import InvalidInput
from puente.services.tickets import lifecycle
from puente.services.tickets.readers import Readable, readable
from puente.services.vocabularies import aliases, countries, taxonomy
from puente.services.vocabularies.taxonomy import TLP, Severity
from puente.storage import tickets as ticket_store
from puente.storage.models import Ticket, TicketStatus
from puente.storage.tickets import TicketQuery


class Scope(StrEnum):
    OPEN = "open"
    MINE = "mine"
    CROSS_BORDER = "cross-border"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """A listing: its scope, narrowed by any of the fields set; `text` is a reference, title or observable."""

    scope: Scope = Scope.OPEN
    status: TicketStatus | None = None
    severity: Severity | None = None
    country: str | None = None
    sector: str | None = None
    tlp: TLP | None = None
    text: str = ""


# The narrowing a listing takes (chat options and the web page's query alike), by the name of its field.
FILTER_FIELDS = ("status", "severity", "country", "sector", "tlp", "text")


def parse_filter(scope: str, given: Mapping[str, str]) -> TicketFilter:
    """A listing from words a person typed: a scope and any of FILTER_FIELDS (empty values are ignored)."""
    try:
        chosen = Scope(aliases.code_of(scope, aliases.SCOPE) or Scope.OPEN.value)
    except ValueError:
        raise InvalidInput(
            _("Unknown list {scope!r}: use {scopes}.").format(scope=scope, scopes=", ".join(s.value for s in Scope))
        ) from None
    values = {name: given[name].strip() for name in FILTER_FIELDS if given.get(name, "").strip()}
    return TicketFilter(
        scope=chosen,
        status=lifecycle.parse_status(values["status"]) if "status" in values else None,
        severity=taxonomy.severity(values["severity"]) if "severity" in values else None,
        country=countries.country_code(values["country"]) if "country" in values else None,
        sector=taxonomy.sector(values["sector"]) if "sector" in values else None,
        tlp=taxonomy.tlp(values["tlp"]) if "tlp" in values else None,
        text=values.get("text", "")[:200],
    )


@dataclass(frozen=True, slots=True)
class Found:
    """One page of a listing: `tickets` from `offset` on, of `total` found."""

    tickets: list[Ticket]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.tickets) < self.total


def _query(ctx: Context, filters: TicketFilter, reader: Readable) -> TicketQuery:
    statuses: tuple[str, ...] | None = None if filters.scope == Scope.ALL else ticket_store.OPEN_STATUSES
    if filters.status is not None:
        statuses = (filters.status.value,) if statuses is None or filters.status.value in statuses else ()
    return TicketQuery(
        statuses=statuses,
        owner_id=reader.owner_id if filters.scope == Scope.MINE else None,
        severity=filters.severity.value if filters.severity else None,
        country=filters.country,
        sector=filters.sector,
        tlp=filters.tlp.value if filters.tlp else None,
        text=filters.text,
        beyond_country=ctx.settings.csirt_country if filters.scope == Scope.CROSS_BORDER else None,
        red_among=(reader.owner_id, reader.paged) if reader.restricted else None,
    )


def find(ctx: Context, filters: TicketFilter, *, limit: int = 50, offset: int = 0) -> Found:
    """The tickets the acting person may read that match `filters`, newest first."""
    reader = readable(ctx, "listing tickets")
    found, total = ticket_store.search(ctx.session, _query(ctx, filters, reader), limit=limit, offset=max(0, offset))
    return Found(found, total, max(0, offset), limit)


@dataclass(frozen=True, slots=True)
class Geography:
    """Where the open tickets are: how many affect each country, and how many join each pair of countries."""

    by_country: dict[str, int]
    links: dict[tuple[str, str], int]


def open_geography(ctx: Context) -> Geography:
    """The open tickets the acting person may read, by country and by pair of countries they join."""
    reader = readable(ctx, "mapping tickets")
    by_country: Counter[str] = Counter()
    links: Counter[tuple[str, str]] = Counter()
    for affected in ticket_store.countries_found(ctx.session, _query(ctx, TicketFilter(Scope.OPEN), reader)):
        codes = sorted(set(affected))
        by_country.update(codes)
        links.update(combinations(codes, 2))
    return Geography(dict(by_country.most_common()), dict(links.most_common()))
