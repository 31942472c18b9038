"""A report as a document: Markdown, HTML or PDF, the same sections in the same order in each.

Every format opens and closes with the TLP 2.0 banner, so a page torn off still says how to handle it.
Ticket text is written by people and peers: Markdown escapes it, HTML escapes it, PDF draws it as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from puente.services.reports.service import Report

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
    return f"{report.tlp.label} — {report.tlp.meaning}"


def heading(report: Report) -> str:
    return f"{report.view.reference}: {report.view.ticket.title}"


def produced(report: Report) -> str:
    audience = f"for {report.recipient}" if report.recipient else "for internal use"
    return f"Report by {report.csirt}, {report.produced_at:%Y-%m-%d %H:%M} UTC, {audience}."


def sections(report: Report) -> Iterator[Section]:
    ticket = report.view.ticket
    summary = [
        ("Status", str(ticket.status)),
        ("Severity", str(ticket.severity)),
        ("TLP", report.tlp.label),
        ("PAP", f"PAP:{str(ticket.pap).upper()}"),
        ("Owner", report.view.owner or "unassigned"),
        ("Aware since", f"{ticket.aware_at:%Y-%m-%d %H:%M} UTC"),
    ]
    if ticket.rsit_classification:
        summary.append(("Type", f"{ticket.rsit_classification}/{ticket.rsit_type}"))
    if ticket.description:
        summary.append(("", ticket.description))
    yield Section("Summary", summary)
    where = [("Countries", ", ".join(report.countries) + (" — cross-border" if report.cross_border else ""))]
    where.append(("Sectors", ", ".join(ticket.sectors) or "none recorded"))
    yield Section("Countries and sectors", where)
    yield Section("Observables", [(o.kind, o.value) for o in report.view.observables])
    yield Section("Notes", [(f"{n.author}, {n.created_at:%Y-%m-%d %H:%M}", n.text) for n in report.view.notes])
    requests: list[tuple[str, str]] = []
    for request in report.requests:
        requests.append(("Request", request.line))
        requests += [
            (f"{m.at:%Y-%m-%d %H:%M} {m.type} ({'sent' if m.direction == 'out' else 'received'}, {m.author})", m.text)
            for m in request.messages
        ]
    yield Section("Requests for assistance", requests)
    deliveries = [(d.peer, f"{d.summary}: {d.detail}") for d in report.deliveries]
    if report.earlier_deliveries:
        deliveries.append(("", f"… and {report.earlier_deliveries} earlier deliveries (the timeline lists them)."))
    yield Section("Deliveries", deliveries)
    yield Section(
        "Regulatory clocks",
        [
            (
                c.name,
                f"{c.after_awareness} after awareness: {c.due:%Y-%m-%d %H:%M} UTC, {c.state}",
            )
            for c in report.clocks
        ],
    )
    yield Section(
        "Timeline", [(f"{e.at:%Y-%m-%d %H:%M:%S} {e.actor}", f"{e.action}: {e.summary}") for e in report.timeline]
    )


def render(report: Report, kind: Format) -> bytes:
    if kind is Format.HTML:
        return as_html(report).encode()
    if kind is Format.PDF:
        return as_pdf(report)
    return as_markdown(report).encode()


def _md(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def as_markdown(report: Report) -> str:
    lines = [f"**{_md(banner(report))}**", "", f"# {_md(heading(report))}", "", _md(produced(report)), ""]
    for section in sections(report):
        lines += [f"## {section.title}", ""]
        if not section.rows:
            lines += ["None.", ""]
            continue
        for label, value in section.rows:
            lines.append(f"- **{_md(label)}:** {_md(value)}" if label else _md(value))
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
        f'<html lang="en"><head><meta charset="utf-8"><title>{e(heading(report))}</title>',
        f"<style>{_STYLE}</style></head><body>",
        tlp_banner,
        f"<h1>{e(heading(report))}</h1>",
        f"<p>{e(produced(report))}</p>",
    ]
    for section in sections(report):
        parts.append(f"<h2>{e(section.title)}</h2>")
        if not section.rows:
            parts.append("<p>None.</p>")
            continue
        parts.append("<dl>")
        for label, value in section.rows:
            parts.append(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>" if label else f"<dd>{e(value)}</dd>")
        parts.append("</dl>")
    parts += [tlp_banner, "</body></html>"]
    return "\n".join(parts) + "\n"


def _latin(text: str) -> str:
    # The PDF's built-in fonts cover Latin-1: Spanish, Portuguese and French, not emoji or other scripts.
    return text.encode("latin-1", "replace").decode("latin-1")


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
        rows = section.rows or [("", "None.")]
        for label, value in rows:
            line = f"{label}: {value}" if label else value
            pdf.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    tlp_line()
    return bytes(pdf.output())
