"""Work that spans assistance and escalation: `/incident ack` stops the pages and, for a peer's request
not yet acknowledged, sends the peer our ACK."""

from __future__ import annotations

from dataclasses import dataclass, field

from puente.i18n import _
from puente.services.assistance import responder
from puente.services.assistance.service import RequestView
from puente.services.context import Context
from puente.services.errors import PuenteError
from puente.services.escalation import service as escalation
from puente.services.escalation.service import PageView
from puente.storage.models import Ticket


@dataclass
class Acknowledged:
    """What an acknowledgement did: pages stopped, ACKs sent, and why an ACK could not go (the pages stay stopped)."""

    stopped: list[PageView] = field(default_factory=list)
    answered: list[RequestView] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def tickets(self) -> list[str]:
        found = {v.ticket_reference for v in self.stopped if v.ticket_reference} | {v.ticket for v in self.answered}
        return sorted(found)


def acknowledge(ctx: Context, target: Ticket | int | None) -> Acknowledged:
    """Stop the pages of a ticket, of one page, or (no target) those that paged the actor; then ACK each
    peer's request they were about. A refused ACK is reported, never undoes the stopped pages."""
    done = Acknowledged(stopped=escalation.acknowledge(ctx, target))
    candidates = {v.ticket_reference for v in done.stopped if v.ticket_reference}
    if isinstance(target, Ticket):
        candidates.add(target.reference)
    for reference in sorted(candidates):
        if not responder.awaits_ack(ctx, reference):
            continue
        savepoint = ctx.session.begin_nested()
        try:
            done.answered.append(responder.acknowledge(ctx, reference))
        except PuenteError as refusal:
            savepoint.rollback()
            done.refused.append(
                _("ACK not sent for {reference}: {refusal}").format(reference=reference, refusal=refusal)
            )
        else:
            savepoint.commit()
    return done
