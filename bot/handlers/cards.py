"""How tickets look in a Reply, the same for every handler and platform."""

from __future__ import annotations

from puente.bot.replies import Button, ButtonStyle, Reply
from puente.services.assistance.protocol import DECLINE_REASONS, INBOUND, State
from puente.services.assistance.service import RequestView
from puente.services.notify import quoted
from puente.services.peers.outbox import DeliveryLine
from puente.services.tickets.service import TicketView, is_cross_border
from puente.services.vocabularies.countries import country_name
from puente.storage.models import Ticket, TicketStatus, TimelineEvent


def titled(ticket: Ticket, origin: str | None) -> str:
    """The title, led by the other CSIRT's name and reference when the incident is theirs: two
    `INC-2026-0001` are never confused."""
    return f"[{origin}] {ticket.title}" if origin else ticket.title


def one_line(ticket: Ticket, our_country: str, origin: str | None = None) -> str:
    border = " 🌎 cross-border" if is_cross_border(ticket, our_country) else ""
    return (
        f"{ticket.reference} [{ticket.severity}] {ticket.status} TLP:{ticket.tlp.upper()}"
        f" {','.join(ticket.countries)}{border} — {titled(ticket, origin)}"
    )


def ticket_fields(ticket: Ticket, owner: str | None, our_country: str) -> list[tuple[str, str]]:
    countries = ", ".join(f"{code} ({country_name(code)})" for code in ticket.countries)
    if is_cross_border(ticket, our_country):
        countries += " — cross-border"
    fields = [
        ("Status", ticket.status),
        ("Severity", ticket.severity),
        ("TLP", f"TLP:{ticket.tlp.upper()}"),
        ("PAP", f"PAP:{ticket.pap.upper()}"),
        ("Countries", countries),
    ]
    if ticket.legal_basis:
        fields.append(("Legal basis", ticket.legal_basis))
    if ticket.rsit_classification:
        fields.append(("Type", f"{ticket.rsit_classification}/{ticket.rsit_type}"))
    if ticket.sectors:
        fields.append(("Sectors", ", ".join(ticket.sectors)))
    fields.append(("Owner", owner or "unassigned"))
    fields.append(("Aware since", ticket.aware_at.strftime("%Y-%m-%d %H:%M UTC")))
    return fields


def ticket_buttons(ticket: Ticket) -> list[Button]:
    reference = ticket.reference
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return [Button("Reopen", f"reopen {reference}")]
    return [
        Button("Timeline", f"timeline {reference}"),
        Button("Resolve", f"resolve {reference}", ButtonStyle.PRIMARY, confirm=f"Resolve {reference}?"),
    ]


def ticket_card(headline: str, view: TicketView, our_country: str) -> Reply:
    ticket = view.ticket
    lines = [f"{o.kind}: {o.value}" for o in view.observables]
    if view.observable_count > len(view.observables):
        lines.append(f"… and {view.observable_count - len(view.observables)} more observables")
    lines += [f"note by {n.author} at {n.created_at:%Y-%m-%d %H:%M}: {n.text}" for n in view.notes[-5:]]
    fields = ticket_fields(ticket, view.owner, our_country)
    fields.append(("Observables", str(view.observable_count)))
    text = f"{headline}\n{ticket.reference}: {titled(ticket, view.origin)}"
    if ticket.description:
        text += f"\n{quoted(ticket.description)}"
    return Reply(text=text, fields=fields, lines=lines, buttons=ticket_buttons(ticket), ticket=ticket.reference)


def timeline_lines(events: list[TimelineEvent]) -> list[str]:
    return [f"{e.at:%Y-%m-%d %H:%M:%S} {e.actor} {e.action}: {e.summary}" for e in events]


def peer_lines(requests: list[RequestView], deliveries: list[DeliveryLine], earlier: int = 0) -> list[str]:
    """What `show` says about the ticket's exchanges with peers: assistance requests (with what each side
    wrote) and the latest deliveries."""
    lines = []
    for view in requests:
        lines.append(f"🤝 {view.line}")
        lines += [f"   {line}" for line in view.said[-6:]]
    if earlier:
        lines.append(f"📤 … {earlier} earlier deliveries (see /incident timeline)")
    lines += [f"📤 {d.summary} → {d.peer}: {d.detail}" for d in deliveries]
    return lines


def request_buttons(requests: list[RequestView]) -> list[Button]:
    """One-tap answers to an incoming request still waiting for them."""
    waiting = [v for v in requests if v.request.direction == INBOUND and v.request.state in (State.SENT, State.ACKED)]
    if not waiting:
        return []
    reference = waiting[-1].ticket
    buttons = [Button("Accept", f"accept {reference}", ButtonStyle.PRIMARY)]
    if waiting[-1].request.state == State.SENT:
        buttons.insert(0, Button("Acknowledge", f"ack {reference}", ButtonStyle.PRIMARY))
    buttons.append(
        Button("Decline", f"decline {reference}", ButtonStyle.DANGER, choices=tuple((r, r) for r in DECLINE_REASONS))
    )
    return buttons
