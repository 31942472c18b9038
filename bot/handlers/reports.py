"""The `report` command: a ticket as a document people read (Markdown, HTML or PDF), sent as a file."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Attachment, Reply
from puente.i18n import _, lazy_gettext
from puente.services.errors import InvalidInput
from puente.services.reports import documents
from puente.services.reports import service as reports

USAGE = "/incident report INC-… [format=md|html|pdf] [for=PEER]"


def document_format(value: str) -> documents.Format:
    try:
        return documents.Format(value.strip().lower().removeprefix("."))
    except ValueError:
        raise InvalidInput(_("Unknown report format {value!r}: use md, html or pdf.").format(value=value)) from None


def report(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), USAGE)
    kind = document_format(call.args.options.get("format", "md"))
    found = reports.build(call.ctx, reference, call.args.options.get("peer"))
    name = f"{found.view.reference}{'-' + found.recipient if found.recipient else ''}.{kind.value}"
    return Reply(
        text=_("{reference}: report ({format}, {tlp}).").format(
            reference=found.view.reference, format=kind.value, tlp=found.tlp.label
        ),
        lines=[documents.banner(found)],
        ticket=found.view.reference,
        attachment=Attachment(name, documents.render(found, kind), kind.media_type),
    )


SUBCOMMANDS = [
    Subcommand(
        "report",
        "report INC-… [format=md|html|pdf] [for=PEER]",
        lazy_gettext("A readable incident report, sent as a file."),
        report,
        {"format": "format", "for": "peer"},
        details=lazy_gettext(
            "With for=PEER, only what the handling policy lets that peer see. TLP banner at top and bottom."
        ),
    ),
]
