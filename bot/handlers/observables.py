"""The `ioc` command: observables pasted as analysts have them, typed automatically."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.i18n import _, lazy_gettext, ngettext
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import parse_observables


def ioc(call: Invocation) -> Reply:
    usage = "/incident ioc INC-… 198.51.100.7 evil[.]example hxxp://bad[.]example/x …"
    reference = call.args.word(0, _("a ticket reference"), usage)
    found = parse_observables(call.args.words[1:])
    ticket, added = tickets.add_observables(call.ctx, reference, found)
    skipped = len(found) - len(added)
    text = ngettext("{reference}: added {count} observable", "{reference}: added {count} observables", len(added))
    text = text.format(reference=ticket.reference, count=len(added))
    if skipped:
        text += ngettext(", {count} already on the ticket", ", {count} already on the ticket", skipped).format(
            count=skipped
        )
    return Reply(text=text + ".", lines=[f"{o.kind.value}: {o.value}" for o in added], ticket=ticket.reference)


SUBCOMMANDS = [
    Subcommand(
        "ioc",
        "ioc INC-… VALUE [VALUE …]",
        lazy_gettext("Add observables (IP, CIDR, domain, URL, e-mail, hashes)."),
        ioc,
        aliases=("iocs", "observable"),
        parses_options=False,
        details=lazy_gettext(
            "Typed automatically; defanged forms such as hxxp://evil[.]example and 1.2.3[.]4 are accepted."
        ),
    ),
]
