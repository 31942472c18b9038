"""A report as a document: Markdown, HTML or PDF, the same sections in the same order in each.

Every format opens and closes with the TLP 2.0 banner, so a page torn off still says how to handle it.
Ticket text is written by people and peers: Markdown escapes it, HTML escapes it, PDF draws it as text.
Headings, labels and sentences are in the language set around the writing (i18n.language), dates in its
zone; free text stays as written, led by its language when that is not the document's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from puente import i18n
from puente.i18n import Written, _, ngettext
from puente.services.reports.service import Report
from puente.services.vocabularies import assistance as assistance_words
from puente.services.vocabularies import words
from puente.services.vocabularies.countries import country_name

# What a Markdown reader would take for formatting, a link, a heading or a table border.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~])")


class Format(StrEnum):
    MARKDOWN = "md"
    HTML = "html"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        return {"md": "text/markdown", "html": "text/html", "pdf": "application/pdf"}[self.value]


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    rows: list[tuple[str, str]]  # (label, value); a label of "" is a paragraph


def banner(report: Report) -> str:
    """The TLP 2.0 label as FIRST writes it (TLP:AMBER, in every language), and what it means, in the reader's."""
    return f"{report.tlp.label} — {report.tlp.meaning}"


def heading(report: Report) -> str:
    return f"{report.view.reference}: {report.view.ticket.title}"


def _when(moment: datetime) -> str:
    return i18n.format_datetime(moment, year=True)


def produced(report: Report) -> str:
    if report.recipient:
        said = _("Report by {csirt}, {moment}, for {recipient}.")
    else:
        said = _("Report by {csirt}, {moment}, for internal use.")
    return said.format(csirt=report.csirt, moment=_when(report.produced_at), recipient=report.recipient)


def _request_rows(report: Report) -> list[tuple[str, str]]:
    rows = []
    for request in report.requests:
        rows.append((_("Request"), request.line))
        for m in request.messages:
            if m.direction == "in":
                who = _("{message} from {peer}").format(message=assistance_words.message(m.type), peer=request.peer)
            else:
                who = _("{message} to {peer} by {author}").format(
                    message=assistance_words.message(m.type), peer=request.peer, author=m.author
                )
            reason = f" ({assistance_words.reason(m.reason)})" if m.reason else ""
            rows.append((f"{_when(m.at)} · {who}{reason}", str(Written(m.text, m.language))))
    return rows


def sections(report: Report) -> Iterator[Section]:
    ticket = report.view.ticket
    yield Section(
        _("Summary"),
        [
            (_("Status"), words.status(ticket.status)),
            (_("Severity"), words.severity(ticket.severity)),
            ("TLP", report.tlp.label),
            ("PAP", f"PAP:{str(ticket.pap).upper()}"),
            (_("Owner"), report.view.owner or _("unassigned")),
            (_("Aware since"), _when(ticket.aware_at)),
            *(
                [(_("Type"), words.rsit(ticket.rsit_classification, ticket.rsit_type or ""))]
                if ticket.rsit_classification
                else []
            ),
            *([("", ticket.description)] if ticket.description else []),
        ],
    )
    countries = ", ".join(f"{code} ({country_name(code)})" for code in ticket.countries)
    yield Section(
        _("Countries and sectors"),
        [
            (_("Countries"), countries + (" — " + _("cross-border") if report.cross_border else "")),
            (_("Sectors"), words.sectors(ticket.sectors) or _("none recorded")),
        ],
    )
    yield Section(_("Observables"), [(o.kind, o.value) for o in report.view.observables])
    notes = [(f"{n.author}, {_when(n.created_at)}", str(Written(n.text, n.language))) for n in report.view.notes]
    yield Section(_("Notes"), notes)
    yield Section(_("Requests for assistance"), _request_rows(report))
    earlier = report.earlier_deliveries
    yield Section(
        _("Deliveries"),
        [(d.peer, f"{d.summary}: {d.reading}") for d in report.deliveries]
        + (
            [
                (
                    "",
                    ngettext(
                        "… and {count} earlier delivery (the timeline lists them).",
                        "… and {count} earlier deliveries (the timeline lists them).",
                        earlier,
                    ).format(count=earlier),
                )
            ]
            if earlier
            else []
        ),
    )
    yield Section(
        _("Regulatory clocks"),
        [
            (
                c.stage.said,
                _("{after} after awareness: {due}, {state}").format(
                    after=c.lasting, due=_when(c.due), state=c.state(report.produced_at)
                ),
            )
            for c in report.clocks
        ],
    )
    # The audit timeline as `/incident timeline` says it to the same reader.
    yield Section(
        _("Timeline"),
        [(f"{e.when} · {e.who}", e.done) for e in report.timeline],
    )


def render(report: Report, kind: Format) -> bytes:
    if kind is Format.HTML:
        return as_html(report).encode()
    if kind is Format.PDF:
        return as_pdf(report)
    return as_markdown(report).encode()


def _labelled(label: str, value: str) -> str:
    # French sets a space before the colon.
    return _("{label}: {value}").format(label=label, value=value)


def _md(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def as_markdown(report: Report) -> str:
    lines = [f"**{_md(banner(report))}**", "", f"# {_md(heading(report))}", "", _md(produced(report)), ""]
    for section in sections(report):
        lines += [f"## {_md(section.title)}", ""]
        if not section.rows:
            lines += [_md(_("None.")), ""]
            continue
        for label, value in section.rows:
            lines.append("- " + _labelled(f"**{_md(label)}**", _md(value)) if label else _md(value))
        lines.append("")
    lines.append(f"**{_md(banner(report))}**")
    return "\n".join(lines) + "\n"


_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
    ".tlp{font-weight:bold;padding:.4em;border:2px solid;text-align:center}"
    ".tlp-red{color:#ff2b2b;background:#000}.tlp-amber,.tlp-amber\\+strict{color:#ffc000;background:#000}"
    ".tlp-green{color:#33ff00;background:#000}.tlp-clear{color:#fff;background:#000}"
    "dt{font-weight:bold}dd{margin:0 0 .5em 1em;white-space:pre-wrap}"
)


def as_html(report: Report) -> str:
    e = html.escape
    tlp_banner = f'<p class="tlp tlp-{e(report.tlp.value)}">{e(banner(report))}</p>'
    parts = [
        "<!doctype html>",
        f'<html lang="{i18n.LOCALES[i18n.current()].replace("_", "-")}"><head><meta charset="utf-8">',
        f"<title>{e(heading(report))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        tlp_banner,
        f"<h1>{e(heading(report))}</h1>",
        f"<p>{e(produced(report))}</p>",
    ]
    for section in sections(report):
        parts.append(f"<h2>{e(section.title)}</h2>")
        if not section.rows:
            parts.append(f"<p>{e(_('None.'))}</p>")
            continue
        parts.append("<dl>")
        for label, value in section.rows:
            parts.append(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>" if label else f"<dd>{e(value)}</dd>")
        parts.append("</dl>")
    parts += [tlp_banner, "</body></html>"]
    return "\n".join(parts) + "\n"


# Typography Latin-1 lacks, as the PDF's built-in fonts can draw it.
_TYPOGRAPHY = str.maketrans(
    {"—": "-", "–": "-", "…": "...", "’": "'", "‘": "'", "“": '"', "”": '"', "œ": "oe", "Œ": "OE"}
)


def _latin(text: str) -> str:
    # The PDF's built-in fonts cover Latin-1: Spanish, Portuguese and French, not emoji or other scripts.
    return text.translate(_TYPOGRAPHY).encode("latin-1", "replace").decode("latin-1")


def as_pdf(report: Report) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    top = _latin(banner(report))

    def tlp_line() -> None:
        pdf.set_font("Helvetica", "B", 9)
        pdf.multi_cell(0, 5, top, border=1, align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    tlp_line()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin(heading(report)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 5, _latin(produced(report)), new_x="LMARGIN", new_y="NEXT")
    for section in sections(report):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, _latin(section.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        rows = section.rows or [("", _("None."))]
        for label, value in rows:
            line = _labelled(label, value) if label else value
            pdf.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    tlp_line()
    return bytes(pdf.output())
