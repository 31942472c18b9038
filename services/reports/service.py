"""What an incident report says: gathered from the same services `show`, `timeline` and the web view use.

What it holds are records and codes; documents.py words them when the document is written, in the
language set around that (the reader's, or the one asked for), so a report built for one person can be
written in another's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from puente.services.assistance import service as assistance
from puente.services.assistance.service import RequestView
from puente.services.context import Context
from puente.services.escalation import service as escalation
from puente.services.escalation.regulatory import Clock
from puente.services.handling import material as handling_material
from puente.services.handling.decision import Exit, Recipient, decide
from puente.services.peers import outbox
from puente.services.peers import service as peers
from puente.services.peers.outbox import DeliveryLine
from puente.services.tickets import service as tickets
from puente.services.tickets.audit import Entry
from puente.services.tickets.service import TicketView, is_cross_border
from puente.services.vocabularies.taxonomy import TLP

# A report lists the latest deliveries; a ticket shared for months keeps the rest in its timeline.
DELIVERIES_SHOWN = 200


@dataclass(slots=True)
class Report:
    """A ticket as a report shows it. `recipient` is who it is for (None: our own CSIRT)."""

    view: TicketView
    tlp: TLP
    csirt: str
    produced_at: datetime
    cross_border: bool
    recipient: str | None = None
    timeline: list[Entry] = field(default_factory=list)
    requests: list[RequestView] = field(default_factory=list)
    deliveries: list[DeliveryLine] = field(default_factory=list)
    clocks: list[Clock] = field(default_factory=list)
    earlier_deliveries: int = 0


def build(ctx: Context, reference: str, recipient: str | None = None) -> Report:
    """The report of a ticket for our CSIRT, or for `recipient` (a peer): then only what it may see."""
    view = tickets.view(ctx, reference)
    ticket = view.ticket
    now = ctx.now()
    report = Report(
        view=view,
        tlp=TLP(ticket.tlp),
        csirt=ctx.settings.csirt_name,
        produced_at=now,
        cross_border=is_cross_border(ticket, ctx.settings.csirt_country),
        recipient=recipient,
    )
    if recipient is not None:
        name = peers.get(ctx, recipient).name
        decide(handling_material.of_ticket(ctx, ticket), Exit.REPORT, [Recipient(name)]).require()
        return _for_recipient(ctx, report, name)
    _, report.timeline = tickets.history(ctx, ticket.reference)
    report.requests = assistance.of_ticket(ctx, ticket)
    report.deliveries, report.earlier_deliveries = outbox.of_ticket(ctx, ticket.id or 0, DELIVERIES_SHOWN)
    report.clocks = escalation.clocks_of(ctx, ticket)
    return report


def _for_recipient(ctx: Context, report: Report, recipient: str) -> Report:
    # What our CSIRT did internally (timeline, deliveries to others, clocks) is ours; the recipient
    # reads the incident itself and its exchanges with the recipient.
    report.requests = [r for r in assistance.of_ticket(ctx, report.view.ticket) if r.peer == recipient]
    deliveries, _ = outbox.of_ticket(ctx, report.view.ticket.id or 0, DELIVERIES_SHOWN)
    report.deliveries = [d for d in deliveries if d.peer == recipient]
    return report
