"""The `export` command: what a ticket's STIX 2.1 bundle holds, as partners would receive it."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.services.exchange import service as exchange


def export(call: Invocation) -> Reply:
    reference = call.args.word(0, "a ticket reference", "/incident export INC-…")
    result = exchange.export_ticket(call.ctx, reference)
    counts = result.counts()
    total = sum(counts.values())
    versions = (
        f"{result.new_versions} new object version(s) recorded"
        if result.new_versions
        else "no changes since the last export"
    )
    return Reply(
        text=(
            f"{result.ticket.reference}: STIX 2.1 bundle of {total} "
            f"objects, TLP:{result.ticket.tlp.upper()}; {versions}."
        ),
        fields=[(kind, str(count)) for kind, count in sorted(counts.items())],
        lines=[f"incident {result.ticket.incident_id}", f"full bundle: puente export {result.ticket.reference}"],
        ticket=result.ticket.reference,
    )


SUBCOMMANDS = [
    Subcommand(
        "export",
        "export INC-…",
        "Summarise the ticket's STIX 2.1 bundle (objects by type, new versions).",
        export,
        aliases=("stix",),
        parses_options=False,
        details="The bundle itself is printed by `puente export INC-…` and served to partners over TAXII.",
    ),
]
