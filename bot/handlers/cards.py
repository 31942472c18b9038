"""How tickets look in a Reply, the same for every handler and platform, in the reader's language."""

from __future__ import annotations

from puente.bot.replies import Button, ButtonStyle, Reply
from puente.i18n import N_, Phrase, Written, _, format_datetime, ngettext
from puente.services.assistance.protocol import INBOUND, State
from puente.services.assistance.service import RequestView
from puente.services.context import Context
from puente.services.notify import quoted
from puente.services.peers.outbox import DeliveryLine
from puente.services.tickets.audit import Entry
from puente.services.tickets.service import TicketView, is_cross_border
from puente.services.vocabularies import assistance as protocol_words
from puente.services.vocabularies import words
from puente.services.vocabularies.countries import country_name
from puente.services.vocabularies.taxonomy import TLP
from puente.storage.models import Ticket, TicketStatus


def titled(ticket: Ticket, origin: str | None) -> str:
    """The title, led by the other CSIRT's name and reference when the incident is theirs: two
    `INC-2026-0001` are never confused."""
    return f"[{origin}] {ticket.title}" if origin else ticket.title


def one_line(ticket: Ticket, our_country: str, origin: str | None = None) -> str:
    border = " 🌎 " + _("cross-border") if is_cross_border(ticket, our_country) else ""
    return (
        f"{ticket.reference} [{words.severity(ticket.severity)}] {words.status(ticket.status)} TLP:{ticket.tlp.upper()}"
        f" {','.join(ticket.countries)}{border} — {titled(ticket, origin)}"
    )


def ticket_fields(ctx: Context, ticket: Ticket, owner: str | None, our_country: str) -> list[tuple[str, str]]:
    countries = ", ".join(f"{code} ({country_name(code)})" for code in ticket.countries)
    if is_cross_border(ticket, our_country):
        countries += " — " + _("cross-border")
    fields = [
        (_("Status"), words.status(ticket.status)),
        (_("Severity"), words.severity(ticket.severity)),
        ("TLP", f"TLP:{ticket.tlp.upper()}"),
        ("PAP", f"PAP:{ticket.pap.upper()}"),
        (_("Countries"), countries),
    ]
    if ticket.legal_basis:
        fields.append((_("Legal basis"), ticket.legal_basis))
    if ticket.rsit_classification and ticket.rsit_type:
        fields.append((_("Type"), words.rsit(ticket.rsit_classification, ticket.rsit_type)))
    if ticket.sectors:
        fields.append((_("Sectors"), words.sectors(ticket.sectors)))
    fields.append((_("Owner"), owner or _("unassigned")))
    fields.append((_("Aware since"), format_datetime(ticket.aware_at, year=True)))
    return fields


def ticket_buttons(ticket: Ticket) -> list[Button]:
    reference = ticket.reference
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return [Button(_("Reopen"), f"reopen {reference}")]
    return [
        Button(_("Timeline"), f"timeline {reference}"),
        Button(
            _("Resolve"),
            f"resolve {reference}",
            ButtonStyle.PRIMARY,
            confirm=Phrase(N_("Resolve {reference}?"), {"reference": reference}),
        ),
    ]


def ticket_card(ctx: Context, headline: str, view: TicketView, our_country: str) -> Reply:
    ticket = view.ticket
    # What the markings ask of the reader, in their words (FIRST's TLP 2.0 and PAP definitions).
    lines = [
        f"TLP:{ticket.tlp.upper()} — {TLP(ticket.tlp).meaning}",
        f"PAP:{ticket.pap.upper()} — {words.pap_meaning(ticket.pap)}",
    ]
    lines += [f"{o.kind}: {o.value}" for o in view.observables]
    if view.observable_count > len(view.observables):
        more = view.observable_count - len(view.observables)
        lines.append(
            ngettext("… and {count} more observable", "… and {count} more observables", more).format(count=more)
        )
    lines += [
        _("note by {author} at {time}: {text}").format(
            author=n.author, time=format_datetime(n.created_at, year=True), text=Written(n.text, n.language)
        )
        for n in view.notes[-5:]
    ]
    fields = ticket_fields(ctx, ticket, view.owner, our_country)
    fields.append((_("Observables"), str(view.observable_count)))
    text = f"{headline}\n{ticket.reference}: {titled(ticket, view.origin)}"
    if ticket.description:
        text += f"\n{quoted(ticket.description)}"
    return Reply(text=text, fields=fields, lines=lines, buttons=ticket_buttons(ticket), ticket=ticket.reference)


def timeline_lines(entries: list[Entry]) -> list[str]:
    """The audit timeline, an event a line, in the reader's words and time zone, to the second."""
    return [f"{e.when} · {e.who} · {e.done}" for e in entries]


def peer_lines(requests: list[RequestView], deliveries: list[DeliveryLine], earlier: int = 0) -> list[str]:
    """What `show` says about the ticket's exchanges with peers: assistance requests (with what each side
    wrote) and the latest deliveries."""
    lines = []
    for view in requests:
        lines.append(f"🤝 {view.line}")
        lines += [f"   {line}" for line in view.said[-6:]]
    if earlier:
        lines.append(
            "📤 "
            + ngettext(
                "… {count} earlier delivery (see /incident timeline)",
                "… {count} earlier deliveries (see /incident timeline)",
                earlier,
            ).format(count=earlier)
        )
    lines += [f"📤 {d.summary} → {d.peer}: {d.reading}" for d in deliveries]
    return lines


def request_buttons(requests: list[RequestView]) -> list[Button]:
    """One-tap answers to an incoming request still waiting for them."""
    waiting = [v for v in requests if v.request.direction == INBOUND and v.request.state in (State.SENT, State.ACKED)]
    if not waiting:
        return []
    reference = waiting[-1].ticket
    buttons = [Button(_("Accept"), f"accept {reference}", ButtonStyle.PRIMARY)]
    if waiting[-1].request.state == State.SENT:
        buttons.insert(0, Button(_("Acknowledge"), f"ack {reference}", ButtonStyle.PRIMARY))
    buttons.append(
        Button(_("Decline"), f"decline {reference}", ButtonStyle.DANGER, choices=protocol_words.reason_choices())
    )
    return buttons
