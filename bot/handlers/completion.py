"""What may be typed next: subcommands, option keys and values, ticket references, peer names.

The console's Tab completion asks here, so completion knows exactly what the handlers accept.
"""

from __future__ import annotations

from collections.abc import Callable

import pycountry

from puente.bot.registry import Registry
from puente.services.context import Context
from puente.services.peers import service as peers
from puente.services.tickets import service as tickets
from puente.services.vocabularies import aliases, taxonomy
from puente.storage.models import TicketStatus

# Values offered after `key=`, by the field an option key names (see each Subcommand's options).
VALUES: dict[str, Callable[[Context], list[str]]] = {
    "severity": lambda ctx: [s.value for s in taxonomy.Severity],
    "tlp": lambda ctx: [t.value for t in taxonomy.TLP],
    "pap": lambda ctx: [p.value for p in taxonomy.PAP],
    "type": lambda ctx: [f"{c}/{k}" for c, kinds in taxonomy.RSIT.items() for k in kinds],
    "sectors": lambda ctx: list(taxonomy.STIX_SECTORS),
    "countries": lambda ctx: sorted(c.alpha_2 for c in pycountry.countries),
    "status": lambda ctx: [s.value for s in TicketStatus],
    "peer": lambda ctx: [p.name for p in peers.listing(ctx)],
    "format": lambda ctx: ["md", "html", "pdf"],
}
# Enough references to complete what is being worked on without reading a large table.
RECENT_TICKETS = 200


def candidates(ctx: Context, registry: Registry, line: str) -> list[str]:
    """Whole words that may replace the last (partial) word of `line`."""
    words = line.lstrip().removeprefix("/incident").lstrip().split(" ")
    typed = words[-1]
    if len(words) == 1:
        return [name for name in registry.names() if name.startswith(typed.lower())]
    subcommand = registry.find(words[0].lower())
    if subcommand is None:
        return []
    if "=" in typed:
        key, _, value = typed.partition("=")
        field = subcommand.option_field(aliases.fold(key))
        found = VALUES[field](ctx) if field in VALUES else []
        return [f"{key}={choice}" for choice in found if choice.startswith(value.lower())]
    if len(words) == 2 and "INC-…" in subcommand.usage:
        references = [t.reference for t in tickets.list_tickets(ctx, tickets.Scope.OPEN, limit=RECENT_TICKETS)]
        return sorted(r for r in references if r.startswith(typed.upper()))
    keys = [f"{key}=" for key in subcommand.options]
    names = [p.name for p in peers.listing(ctx)] if "PEER" in subcommand.usage or "WHO" in subcommand.usage else []
    return sorted(word for word in (*keys, *names) if word.lower().startswith(typed.lower()))
