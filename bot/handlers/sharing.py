"""Sharing with peer CSIRTs: `share` (preview, then confirm) and `peers` (points of contact)."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.services.assistance import early_warning
from puente.services.feeds import publishing
from puente.services.peers import service as peers
from puente.services.sharing import service as sharing
from puente.services.vocabularies.countries import country_name

CONFIRM = "confirm"


def _confirmation(words: list[str]) -> tuple[list[str], str | None]:
    """The command's words without its confirmation, and what the confirmation carries: None when there is
    none, "" for a bare `confirm` (which previews: only a preview's digest sends)."""
    last = words[-1].lower() if words else ""
    if last == CONFIRM:
        return words[:-1], ""
    if last.startswith(CONFIRM + "="):
        return words[:-1], words[-1][len(CONFIRM) + 1 :]
    return words, None


def _handling_lines(preview: sharing.SharePlan) -> list[str]:
    lines = [f"suggested, withheld: {r.recipient} — {r.reason}" for r in preview.withheld]
    lines += [f"may be personal data: {finding}" for finding in preview.personal_data]
    lines += [f"⛔ {reason}" for reason in dict.fromkeys(r.reason for r in preview.held_back)]
    return lines


def _why_previewed(confirmation: str | None, outdated: sharing.PreviewOutdated | None) -> str:
    if outdated is not None:
        return f"{outdated} "
    if confirmation == "":
        return "Nothing was sent: a confirmation carries the preview it confirms (the button does). "
    return ""


def share(call: Invocation) -> Reply:
    usage = "/incident share INC-… [to PEER|COUNTRY …]"
    reference = call.args.word(0, "a ticket reference", usage)
    words, confirmation = _confirmation(call.args.words[1:])
    if words and words[0].lower() == "to":
        words = words[1:]
    named = [name for word in words for name in word.split(",") if name]
    outdated = None
    if confirmation:
        try:
            done = sharing.share(call.ctx, reference, named, confirmation)
        except sharing.PreviewOutdated as changed:
            outdated = changed
        else:
            return Reply(
                text=(
                    f"{done.ticket.reference} ({done.tlp.label}): {done.sent} STIX object(s) queued for "
                    f"{', '.join(done.names)}; /incident show {done.ticket.reference} follows delivery."
                ),
                ticket=done.ticket.reference,
            )
    preview = outdated.plan if outdated is not None else sharing.plan(call.ctx, reference, named)
    ticket = preview.ticket
    lines = [
        f"→ {r.peer.name} ({r.because}; {', '.join(r.peer.countries)}) at {r.peer.taxii_url}"
        for r in preview.recipients
    ]
    lines += [
        f"also suggested, not included: {s.peer.name} ({s.because}) — add it with: to {s.peer.name}"
        for s in preview.left_out
    ]
    lines += _handling_lines(preview)
    command = f"share {ticket.reference}" + (f" to {' '.join(named)}" if named else "") + f" {CONFIRM}={preview.digest}"
    who = ", ".join(preview.names)
    return Reply(
        text=(
            f"{_why_previewed(confirmation, outdated)}Preview: share {ticket.reference} ({preview.tlp.label}) — the"
            f" ticket as STIX 2.1 (incident, countries, indicators, notes) to {len(preview.recipients)} peer(s):"
        ),
        fields=_fields(preview, who) + [("Confirm", command)],
        lines=lines,
        buttons=[]
        if preview.held_back
        else [
            Button(
                "Share",
                command,
                ButtonStyle.PRIMARY,
                confirm=f"Send {ticket.reference} ({preview.tlp.label}) to {who}?",
            )
        ],
        ticket=ticket.reference,
    )


def _fields(preview: sharing.SharePlan, who: str) -> list[tuple[str, str]]:
    fields = [("TLP", preview.tlp.label), ("PAP", f"PAP:{preview.ticket.pap.upper()}"), ("Recipients", who)]
    if preview.ticket.legal_basis:
        fields.append(("Legal basis", preview.ticket.legal_basis))
    return fields


def notify(call: Invocation) -> Reply:
    usage = "/incident notify INC-… [to PEER|COUNTRY …] [text]"
    reference = call.args.word(0, "a ticket reference", usage)
    words, confirmation = _confirmation(call.args.words[1:])
    named, text = early_warning.recipients_and_text(call.ctx, words)
    outdated = None
    if confirmation:
        try:
            done = early_warning.notify(call.ctx, reference, named, text, confirmation)
        except sharing.PreviewOutdated as changed:
            outdated = changed
        else:
            return Reply(
                text=(
                    f"{done.ticket.reference} ({done.tlp.label}): early warning sent to {', '.join(done.names)};"
                    f" /incident show {done.ticket.reference} follows delivery."
                ),
                ticket=done.ticket.reference,
            )
    preview = outdated.plan if outdated is not None else early_warning.plan(call.ctx, reference, named)
    ticket = preview.ticket
    who = ", ".join(preview.names)
    command = (
        f"notify {ticket.reference}"
        + (f" to {','.join(named)}" if named else "")
        + (f" {text}" if text else "")
        + f" {CONFIRM}={preview.digest}"
    )
    return Reply(
        text=(
            f"{_why_previewed(confirmation, outdated)}Preview: early warning about {ticket.reference}"
            f" ({preview.tlp.label}) — NOTIFY with the ticket as STIX 2.1 to {len(preview.recipients)} peer(s);"
            f" their on-call is paged at {ticket.severity}:"
        ),
        fields=_fields(preview, who) + [("Text", text or f"Early warning: {ticket.title}"), ("Confirm", command)],
        lines=[f"→ {r.peer.name} ({r.because}; {', '.join(r.peer.countries)})" for r in preview.recipients]
        + _handling_lines(preview),
        buttons=[]
        if preview.held_back
        else [Button("Notify", command, ButtonStyle.PRIMARY, confirm=f"Warn {who} of {ticket.reference}?")],
        ticket=ticket.reference,
    )


def publish(call: Invocation) -> Reply:
    usage = "/incident publish INC-… [to PARTNER …]"
    reference = call.args.word(0, "a ticket reference", usage)
    words, confirmation = _confirmation(call.args.words[1:])
    if words and words[0].lower() == "to":
        words = words[1:]
    named = [name for word in words for name in word.split(",") if name]
    outdated = None
    if confirmation:
        try:
            done = publishing.publish(call.ctx, reference, named, confirmation)
        except publishing.PublishPreviewOutdated as changed:
            outdated = changed
        else:
            return Reply(
                text=(
                    f"{done.ticket.reference} ({done.tlp.label}) published in {', '.join(done.aliases)}; its later"
                    " versions follow it there."
                ),
                ticket=done.ticket.reference,
            )
    preview = outdated.plan if outdated is not None else publishing.plan(call.ctx, reference, named)
    ticket = preview.ticket
    command = (
        f"publish {ticket.reference}" + (f" to {' '.join(named)}" if named else "") + f" {CONFIRM}={preview.digest}"
    )
    where = ", ".join(preview.aliases)
    lines = [f"→ collection {alias}" for alias in preview.aliases]
    lines += [f"may be personal data: {finding}" for finding in preview.personal_data]
    lines += [f"⛔ {reason}" for reason in preview.held_back]
    prefix = f"{outdated} " if outdated is not None else ""
    if confirmation == "":
        prefix = "Nothing was published: a confirmation carries the preview it confirms (the button does). "
    return Reply(
        text=(
            f"{prefix}Preview: publish {ticket.reference} ({preview.tlp.label}) — the ticket as STIX 2.1 in"
            f" {len(preview.aliases)} collection(s) of ours that partner teams read:"
        ),
        fields=[("TLP", preview.tlp.label), ("Collections", where), ("Confirm", command)],
        lines=lines,
        buttons=[]
        if preview.held_back
        else [Button("Publish", command, ButtonStyle.PRIMARY, confirm=f"Publish {ticket.reference} in {where}?")],
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
        "share INC-… [to PEER|COUNTRY …] [confirm=DIGEST]",
        "Share a ticket with peer CSIRTs (preview first).",
        share,
        parses_options=False,
        details=(
            "TLP:RED goes only to peers you name; other levels go to the peers you name or those the ticket's"
            " countries suggest. The preview's Share button (or confirm=DIGEST, as the preview shows it) sends"
            " exactly what was previewed; if anything changed since, a new preview is shown instead."
        ),
    ),
    Subcommand(
        "notify",
        "notify INC-… [to PEER|COUNTRY …] [text] [confirm=DIGEST]",
        "Early warning to peer CSIRTs (preview first).",
        notify,
        parses_options=False,
        details="Goes to the peers the ticket's countries suggest, or those named; their on-call is paged at the"
        " ticket's severity. TLP:RED goes only to peers you name.",
    ),
    Subcommand(
        "publish",
        "publish INC-… [to PARTNER …] [confirm=DIGEST]",
        "Publish a ticket in the TAXII collections partner teams read (preview first).",
        publish,
        parses_options=False,
        details="TLP:CLEAR goes in public and community, GREEN in community, AMBER and AMBER+STRICT only in the"
        " own collections of the partners you name, RED in none. Later versions follow it there.",
    ),
    Subcommand("peers", "peers [COUNTRY]", "Points of contact of peer CSIRTs.", peers_, {}),
]
