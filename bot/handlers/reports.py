"""The `report` command: a ticket as a document people read (Markdown, HTML or PDF), sent as a file.

The document is in the language of whoever asked (in their time zone), unless they ask for another
(`lang=pt`); a report for a peer is in the deployment's language (PUENTE_LANGUAGE), as peers have no
language of their own here. The reply around it is always in the asker's language.
"""

from __future__ import annotations

from puente import i18n
from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Attachment, Reply
from puente.i18n import _, lazy_gettext
from puente.services.errors import InvalidInput
from puente.services.reports import documents
from puente.services.reports import service as reports

USAGE = "/incident report INC-… [format=md|html|pdf] [for=PEER] [lang=en|es|pt|fr]"


def document_format(value: str) -> documents.Format:
    try:
        return documents.Format(value.strip().lower().removeprefix("."))
    except ValueError:
        raise InvalidInput(_("Unknown report format {value!r}: use md, html or pdf.").format(value=value)) from None


def document_language(call: Invocation, recipient: str | None) -> str:
    asked = call.args.options.get("language")
    if asked is not None:
        chosen = i18n.supported(asked)
        if chosen is None:
            raise InvalidInput(
                _("Puente writes reports in {languages}, not {value!r}.").format(
                    languages=i18n.either([f"{code} ({name})" for code, name in i18n.NAMES.items()]), value=asked
                )
            )
        return chosen
    return call.ctx.settings.language if recipient is not None else i18n.current()


def report(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), USAGE)
    kind = document_format(call.args.options.get("format", "md"))
    recipient = call.args.options.get("peer")
    written_in = document_language(call, recipient)
    found = reports.build(call.ctx, reference, recipient)
    # A peer's copy reads its times in UTC; ours in the asker's zone.
    zone = None if recipient is not None or call.ctx.actor is None else call.ctx.actor.timezone
    with i18n.language(written_in, zone):
        content = documents.render(found, kind)
    name = f"{found.view.reference}{'-' + found.recipient if found.recipient else ''}.{kind.value}"
    return Reply(
        text=_("{reference}: report ({format}, {tlp}).").format(
            reference=found.view.reference, format=kind.value, tlp=found.tlp.label
        ),
        lines=[documents.banner(found)],
        ticket=found.view.reference,
        attachment=Attachment(name, content, kind.media_type),
    )


SUBCOMMANDS = [
    Subcommand(
        "report",
        "report INC-… [format=md|html|pdf] [for=PEER] [lang=en|es|pt|fr]",
        lazy_gettext("A readable incident report, sent as a file."),
        report,
        {"format": "format", "for": "peer", "lang": "language"},
        details=lazy_gettext(
            "With for=PEER, only what the handling policy lets that peer see. TLP banner at top and bottom."
            " The report is in your language, or in the one lang= names; a report for a peer is in this Puente's."
        ),
    ),
]
