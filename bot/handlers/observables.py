"""The `ioc` command: observables pasted as analysts have them, typed automatically."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import parse_observables


def ioc(call: Invocation) -> Reply:
    usage = "/incident ioc INC-… 198.51.100.7 evil[.]example hxxp://bad[.]example/x …"
    reference = call.args.word(0, "a ticket reference", usage)
    found = parse_observables(call.args.words[1:])
    ticket, added = tickets.add_observables(call.ctx, reference, found)
    skipped = len(found) - len(added)
    text = f"{ticket.reference}: added {len(added)} observable(s)"
    if skipped:
        text += f", {skipped} already on the ticket"
    return Reply(text=text + ".", lines=[f"{o.kind.value}: {o.value}" for o in added], ticket=ticket.reference)


SUBCOMMANDS = [
    Subcommand(
        "ioc",
        "ioc INC-… VALUE [VALUE …]",
        "Add observables (IP, CIDR, domain, URL, e-mail, hashes).",
        ioc,
        aliases=("iocs", "observable"),
        parses_options=False,
        details="Typed automatically; defanged forms such as hxxp://evil[.]example and 1.2.3[.]4 are accepted.",
    ),
]
