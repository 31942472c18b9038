"""Ticket commands: new, show, list, update, assign, resolve, close, reopen, note, timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from puente.bot.handlers.cards import one_line, peer_lines, request_buttons, ticket_card, timeline_lines
from puente.bot.handlers.clocks import clock_lines
from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.i18n import LazyText, _, lazy_gettext, ngettext
from puente.services.assistance import service as assistance
from puente.services.errors import InvalidInput
from puente.services.feeds import publications
from puente.services.peers import outbox
from puente.services.tickets import lifecycle, notes, search
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import parse_observables
from puente.services.vocabularies import countries, taxonomy, words
from puente.storage.models import Ticket, TicketStatus

TICKET_OPTIONS = {
    "sev": "severity",
    "severity": "severity",
    "countries": "countries",
    "country": "countries",
    "tlp": "tlp",
    "pap": "pap",
    "type": "type",
    "rsit": "type",
    "sector": "sectors",
    "sectors": "sectors",
    "desc": "description",
    "description": "description",
    "title": "title",
    "legal": "legal_basis",
}
NEW_OPTIONS = TICKET_OPTIONS | {"aware": "aware", "ioc": "observables", "iocs": "observables"}
UPDATE_OPTIONS = TICKET_OPTIONS | {"status": "status"}
LIST_OPTIONS = {
    "status": "status",
    "sev": "severity",
    "severity": "severity",
    "country": "country",
    "sector": "sector",
    "tlp": "tlp",
    "q": "text",
    "search": "text",
}
LIST_USAGE = "list [open|mine|cross-border|all] [status=…] [sev=…] [country=BR] [sector=…] [tlp=…] [q=TEXT]"


def _aware_at(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            _("Bad aware={value!r}: use an ISO time such as 2026-03-01T08:30Z.").format(value=value)
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _changes(options: dict[str, str]) -> tickets.TicketChanges:
    return tickets.TicketChanges(
        title=options.get("title"),
        description=options.get("description"),
        severity=taxonomy.severity(options["severity"]) if "severity" in options else None,
        status=lifecycle.parse_status(options["status"]) if "status" in options else None,
        rsit=taxonomy.rsit_type(options["type"]) if "type" in options else None,
        sectors=taxonomy.sectors(options["sectors"]) if "sectors" in options else None,
        countries=countries.country_codes(options["countries"]) if "countries" in options else None,
        tlp=taxonomy.tlp(options["tlp"]) if "tlp" in options else None,
        pap=taxonomy.pap(options["pap"]) if "pap" in options else None,
        legal_basis=options.get("legal_basis"),
    )


def _show(call: Invocation, ticket: Ticket | str, headline: str) -> Reply:
    view = tickets.view(call.ctx, ticket)
    reply = ticket_card(call.ctx, headline, view, call.ctx.settings.csirt_country)
    requests = assistance.of_ticket(call.ctx, view.ticket)
    reply.lines += clock_lines(call, view.ticket)
    deliveries, earlier = outbox.of_ticket(call.ctx, view.ticket.id or 0)
    reply.lines += peer_lines(requests, deliveries, earlier)
    reply.lines += [
        f"📰 published in {p.alias} since {p.published_at:%Y-%m-%d %H:%M} UTC"
        for p in publications.where(call.ctx, view.ticket)
    ]
    reply.buttons = request_buttons(requests) + reply.buttons
    return reply


def new(call: Invocation) -> Reply:
    options = call.args.options
    changes = _changes(options)
    draft = tickets.TicketDraft(
        title=options.get("title") or call.args.rest,
        description=options.get("description", ""),
        severity=changes.severity or taxonomy.Severity.MEDIUM,
        rsit=changes.rsit,
        sectors=changes.sectors or [],
        countries=changes.countries or [],
        tlp=changes.tlp or tickets.DEFAULT_TLP,
        pap=changes.pap or tickets.DEFAULT_PAP,
        legal_basis=changes.legal_basis,
        aware_at=_aware_at(options["aware"]) if "aware" in options else None,
        observables=parse_observables([options["observables"]]) if "observables" in options else [],
    )
    ticket = tickets.open_ticket(call.ctx, draft)
    return _show(call, ticket, _("Opened {reference}.").format(reference=ticket.reference))


def show(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), "/incident show INC-2026-0001")
    return _show(call, reference, f"{reference.upper()}")


def list_(call: Invocation) -> Reply:
    typed = call.args.words
    filters = search.parse_filter(typed[0] if typed else "", call.args.options)
    if len(typed) > 1:
        raise InvalidInput(
            _("Unexpected words {words!r}: search with q=TEXT. Usage: /incident {usage}").format(
                words=" ".join(typed[1:]), usage=LIST_USAGE
            )
        )
    found = search.find(call.ctx, filters)
    our = call.ctx.settings.csirt_country
    scope = words.scope(filters.scope.value)
    if not found.tickets:
        if call.args.options:
            return Reply(text=_("No {scope} tickets found.").format(scope=scope))
        return Reply(text=_("No {scope} tickets.").format(scope=scope))
    if found.has_more:
        said = ngettext(
            "{shown} of {total} {scope} ticket:", "{shown} of {total} {scope} tickets:", found.total
        ).format(shown=len(found.tickets), total=found.total, scope=scope)
    else:
        said = ngettext("{total} {scope} ticket:", "{total} {scope} tickets:", found.total).format(
            total=found.total, scope=scope
        )
    origins = tickets.origins(call.ctx, found.tickets)
    return Reply(
        text=said,
        lines=[one_line(t, our, origins.get(t.id or 0)) for t in found.tickets],
    )


def update(call: Invocation) -> Reply:
    usage = "/incident update INC-… sev=high status=in-progress countries=BR,AR tlp=amber type=… sector=…"
    reference = call.args.word(0, _("a ticket reference"), usage)
    if len(call.args.words) > 1:
        raise InvalidInput(
            _("Unexpected words {words!r}: give changes as key=value. Usage: {usage}").format(
                words=" ".join(call.args.words[1:]), usage=usage
            )
        )
    ticket = tickets.update(call.ctx, reference, _changes(call.args.options))
    return _show(call, ticket, _("Updated {reference}.").format(reference=ticket.reference))


def assign(call: Invocation) -> Reply:
    usage = "/incident assign INC-… USER"
    reference = call.args.word(0, _("a ticket reference"), usage)
    ticket = tickets.assign(call.ctx, reference, call.args.word(1, _("the user to assign"), usage))
    return _show(call, ticket, _("Assigned {reference}.").format(reference=ticket.reference))


def _mover(target: TicketStatus, verb: str, summary: LazyText) -> Subcommand:
    def run(call: Invocation) -> Reply:
        reference = call.args.word(0, _("a ticket reference"), f"/incident {verb} INC-… [reason]")
        if target == TicketStatus.CLOSED and len(call.args.words) > 1 and call.args.words[1].lower() == "rfa":
            # Imported here: the assistance family loads the protocol's domains, which `show` never needs.
            from puente.bot.handlers import assistance as assistance_handlers

            return assistance_handlers.close_request(call)
        reason = " ".join(call.args.words[1:])
        if target == TicketStatus.IN_PROGRESS:
            ticket = tickets.reopen(call.ctx, reference, reason)
        else:
            ticket = tickets.move(call.ctx, reference, target, reason)
        headline = _("{reference} is now {status}.").format(
            reference=ticket.reference, status=words.status(ticket.status)
        )
        return _show(call, ticket, headline)

    return Subcommand(verb, f"{verb} INC-… [reason]", summary, run, parses_options=False)


def note(call: Invocation) -> Reply:
    usage = "/incident note INC-… <text>"
    reference = call.args.word(0, _("a ticket reference"), usage)
    notes.add_note(call.ctx, reference, " ".join(call.args.raw.split(None, 1)[1:]))
    return Reply(text=_("Note added to {reference}.").format(reference=reference.upper()), ticket=reference.upper())


def timeline(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), "/incident timeline INC-…")
    ticket, events = tickets.history(call.ctx, reference)
    return Reply(
        text=ngettext(
            "Timeline of {reference} ({count} event):", "Timeline of {reference} ({count} events):", len(events)
        ).format(reference=ticket.reference, count=len(events)),
        lines=timeline_lines(events),
        ticket=ticket.reference,
    )


SUBCOMMANDS = [
    Subcommand(
        "new",
        "new <title> [sev=…] [countries=BR,AR] [tlp=…] [pap=…] [type=class/type] [sector=…] [ioc=…] [aware=ISO time]",
        lazy_gettext("Open a ticket."),
        new,
        NEW_OPTIONS,
        details=lazy_gettext(
            "Severity low|medium|high|critical (default medium); "
            "TLP clear|green|amber|amber+strict|red (default amber);"
            " type is RSIT, e.g. malicious-code/c2-server; sector a STIX industry sector such as energy or healthcare."
        ),
    ),
    Subcommand("show", "show INC-…", lazy_gettext("Show a ticket."), show, {}),
    Subcommand(
        "list",
        LIST_USAGE,
        lazy_gettext("List tickets."),
        list_,
        LIST_OPTIONS,
        details=lazy_gettext("q= finds a reference, title or observable (e.g. q=evil.example). Shows the newest 50."),
    ),
    Subcommand(
        "update",
        "update INC-… key=value …",
        lazy_gettext("Change a ticket's fields or status."),
        update,
        UPDATE_OPTIONS,
    ),
    Subcommand("assign", "assign INC-… USER", lazy_gettext("Make someone the ticket's owner."), assign, {}),
    _mover(TicketStatus.RESOLVED, "resolve", lazy_gettext("Resolve a ticket.")),
    # `close INC-… rfa` closes our assistance request instead
    _mover(TicketStatus.CLOSED, "close", lazy_gettext("Close a ticket.")),
    _mover(TicketStatus.IN_PROGRESS, "reopen", lazy_gettext("Reopen a ticket.")),
    Subcommand("note", "note INC-… <text>", lazy_gettext("Add a note to a ticket."), note, parses_options=False),
    Subcommand("timeline", "timeline INC-…", lazy_gettext("The ticket's audit timeline."), timeline, {}),
]
