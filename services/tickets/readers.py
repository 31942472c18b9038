"""Who may read a ticket: the one place the handling of a ticket meets the reader's role.

Analysts, leads and admins read every ticket. An `oncall` user reads TLP:RED tickets only when they
own it or were paged for it: TLP:RED is for the named recipients only, and a page names its
recipient. Listings leave out what the reader may not read; naming such a ticket is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from puente.i18n import _
from puente.services.context import Context
from puente.services.errors import Forbidden
from puente.services.users.service import require_role
from puente.services.vocabularies.taxonomy import TLP
from puente.storage import pages
from puente.storage.models import Role, Ticket

NEED_TO_KNOW = TLP.RED


@dataclass(frozen=True, slots=True)
class Readable:
    """What a reader (user `owner_id`) may read: everything (`restricted` False), or TLP:RED only among
    their own tickets and those in `paged`."""

    restricted: bool
    owner_id: int | None = None
    paged: frozenset[int] = frozenset()

    def allows(self, ticket: Ticket) -> bool:
        if not self.restricted or ticket.tlp != NEED_TO_KNOW.value:
            return True
        return ticket.owner_id == self.owner_id or ticket.id in self.paged


def readable(ctx: Context, doing: str) -> Readable:
    """What the acting person may read (at least the oncall role is needed to read anything)."""
    actor = require_role(ctx, Role.ONCALL, doing)
    if actor.role_enum.allows(Role.ANALYST):
        return Readable(False, actor.id)
    return Readable(True, actor.id, frozenset(pages.tickets_paging(ctx.session, actor.name)))


def check_readable(ctx: Context, ticket: Ticket, doing: str) -> None:
    if not readable(ctx, doing).allows(ticket):
        raise Forbidden(
            _(
                "{reference} is {label}: on call, you read it only once you are paged for it or own it. Ask an "
                "analyst or your lead."
            ).format(reference=ticket.reference, label=NEED_TO_KNOW.label)
        )
