"""The `export` command: what a ticket's STIX 2.1 bundle holds, as partners would receive it."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.i18n import _, lazy_gettext, ngettext
from puente.services.exchange import service as exchange


def export(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), "/incident export INC-…")
    result = exchange.export_ticket(call.ctx, reference)
    counts = result.counts()
    total = sum(counts.values())
    if result.new_versions:
        versions = ngettext(
            "{count} new object version recorded", "{count} new object versions recorded", result.new_versions
        ).format(count=result.new_versions)
    else:
        versions = _("no changes since the last export")
    return Reply(
        text=_("{reference}: STIX 2.1 bundle of {total} objects, TLP:{tlp}; {versions}.").format(
            reference=result.ticket.reference, total=total, tlp=result.ticket.tlp.upper(), versions=versions
        ),
        fields=[(kind, str(count)) for kind, count in sorted(counts.items())],
        lines=[
            _("incident {incident_id}").format(incident_id=result.ticket.incident_id),
            _("full bundle: {command}").format(command=f"puente export {result.ticket.reference}"),
        ],
        ticket=result.ticket.reference,
    )


SUBCOMMANDS = [
    Subcommand(
        "export",
        "export INC-…",
        lazy_gettext("Summarise the ticket's STIX 2.1 bundle (objects by type, new versions)."),
        export,
        aliases=("stix",),
        parses_options=False,
        details=lazy_gettext(
            "The bundle itself is printed by `puente export INC-…` and served to partners over TAXII."
        ),
    ),
]
