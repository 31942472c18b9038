"""Sharing with peer CSIRTs: `share` (preview, then confirm) and `peers` (points of contact)."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.services.assistance import early_warning
from puente.services.peers import service as peers
from puente.services.sharing import service as sharing
from puente.services.vocabularies.countries import country_name

CONFIRM = "confirm"


def share(call: Invocation) -> Reply:
    usage = "/incident share INC-… [to PEER|COUNTRY …]"
    reference = call.args.word(0, "a ticket reference", usage)
    words = call.args.words[1:]
    confirmed = bool(words) and words[-1].lower() == CONFIRM
    if confirmed:
        words = words[:-1]
    if words and words[0].lower() == "to":
        words = words[1:]
    named = [name for word in words for name in word.split(",") if name]
    if confirmed:
        done = sharing.share(call.ctx, reference, named)
        return Reply(
            text=(
                f"{done.ticket.reference} ({done.tlp.label}): {done.sent} STIX object(s) queued for "
                f"{', '.join(done.names)}; /incident show {done.ticket.reference} follows delivery."
            ),
            ticket=done.ticket.reference,
        )
    preview = sharing.plan(call.ctx, reference, named)
    ticket = preview.ticket
    lines = [
        f"→ {r.peer.name} ({r.because}; {', '.join(r.peer.countries)}) at {r.peer.taxii_url}"
        for r in preview.recipients
    ]
    lines += [
        f"also suggested, not included: {s.peer.name} ({s.because}) — add it with: to {s.peer.name}"
        for s in preview.left_out
    ]
    lines += [f"suggested, withheld: {r.recipient} — {r.reason}" for r in preview.withheld]
    command = f"share {ticket.reference}" + (f" to {' '.join(named)}" if named else "") + f" {CONFIRM}"
    who = ", ".join(preview.names)
    return Reply(
        text=(
            f"Preview: share {ticket.reference} ({preview.tlp.label}) — the ticket as STIX 2.1 "
            f"(incident, countries, indicators, notes) to {len(preview.recipients)} peer(s):"
        ),
        fields=[("TLP", preview.tlp.label), ("Recipients", who)],
        lines=lines,
        buttons=[
            Button(
                "Share",
                command,
                ButtonStyle.PRIMARY,
                confirm=f"Send {ticket.reference} ({preview.tlp.label}) to {who}?",
            )
        ],
        ticket=ticket.reference,
    )


def notify(call: Invocation) -> Reply:
    usage = "/incident notify INC-… [to PEER|COUNTRY …] [text]"
    reference = call.args.word(0, "a ticket reference", usage)
    words = call.args.words[1:]
    confirmed = bool(words) and words[-1].lower() == CONFIRM
    if confirmed:
        words = words[:-1]
    named, text = early_warning.recipients_and_text(call.ctx, words)
    if confirmed:
        done = early_warning.notify(call.ctx, reference, named, text)
        return Reply(
            text=(
                f"{done.ticket.reference} ({done.tlp.label}): early warning sent to {', '.join(done.names)};"
                f" /incident show {done.ticket.reference} follows delivery."
            ),
            ticket=done.ticket.reference,
        )
    preview = early_warning.plan(call.ctx, reference, named)
    ticket = preview.ticket
    who = ", ".join(preview.names)
    command = (
        f"notify {ticket.reference}"
        + (f" to {','.join(named)}" if named else "")
        + (f" {text}" if text else "")
        + f" {CONFIRM}"
    )
    return Reply(
        text=(
            f"Preview: early warning about {ticket.reference} ({preview.tlp.label}) — NOTIFY with the ticket as"
            f" STIX 2.1 to {len(preview.recipients)} peer(s); their on-call is paged at {ticket.severity}:"
        ),
        fields=[("TLP", preview.tlp.label), ("Recipients", who), ("Text", text or f"Early warning: {ticket.title}")],
        lines=[f"→ {r.peer.name} ({r.because}; {', '.join(r.peer.countries)})" for r in preview.recipients]
        + [f"suggested, withheld: {r.recipient} — {r.reason}" for r in preview.withheld],
        buttons=[Button("Notify", command, ButtonStyle.PRIMARY, confirm=f"Warn {who} of {ticket.reference}?")],
        ticket=ticket.reference,
    )


def peers_(call: Invocation) -> Reply:
    country = call.args.words[0] if call.args.words else None
    found = peers.listing(call.ctx, country)
    where = f" for {country.upper()} ({country_name(country.upper())})" if country else ""
    if not found:
        return Reply(
            text=(
                f"No peer CSIRTs{where}. An operator adds them with: puente "
                "peers add NAME --countries … --taxii-url … --collection …"
            )
        )
    lines = []
    for peer in found:
        line = f"{peer.name} — {', '.join(peer.countries)}: {peer.contact or 'no contact on file'}"
        if peer.backup_contact:
            line += f" (backup: {peer.backup_contact})"
        lines.append(line)
    return Reply(text=f"{len(found)} peer CSIRT point(s) of contact{where}:", lines=lines)


SUBCOMMANDS = [
    Subcommand(
        "share",
        "share INC-… [to PEER|COUNTRY …]",
        "Share a ticket with peer CSIRTs (preview first).",
        share,
        parses_options=False,
        details=(
            "TLP:RED goes only to peers you name; other levels go to "
            "the peers you name or those the ticket's countries suggest."
        ),
    ),
    Subcommand(
        "notify",
        "notify INC-… [to PEER|COUNTRY …] [text]",
        "Early warning to peer CSIRTs (preview first).",
        notify,
        parses_options=False,
        details="Goes to the peers the ticket's countries suggest, or those named; their on-call is paged at the"
        " ticket's severity. TLP:RED goes only to peers you name.",
    ),
    Subcommand("peers", "peers [COUNTRY]", "Points of contact of peer CSIRTs.", peers_, {}),
]
