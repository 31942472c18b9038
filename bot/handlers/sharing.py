"""Sharing with peer CSIRTs: `share` (preview, then confirm) and `peers` (points of contact)."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.i18n import N_, Phrase, _, lazy_gettext, ngettext
from puente.services.assistance import early_warning
from puente.services.feeds import publishing
from puente.services.peers import service as peers
from puente.services.sharing import service as sharing
from puente.services.vocabularies import words as vocabulary
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


def _addressees(words: list[str]) -> tuple[list[str], str | None]:
    """`[to] NAMES … [confirm=DIGEST]` -> the names (separated by spaces or commas) and what the confirmation
    carries (as `_confirmation` reads it)."""
    words, confirmation = _confirmation(words)
    if words and words[0].lower() == "to":
        words = words[1:]
    return [name for word in words for name in word.split(",") if name], confirmation


def _confirming(verb: str, reference: str, named: list[str], digest: str) -> str:
    """The command that confirms a preview, as `_addressees` reads it back."""
    return f"{verb} {reference}" + (f" to {' '.join(named)}" if named else "") + f" {CONFIRM}={digest}"


def _handling_lines(preview: sharing.SharePlan) -> list[str]:
    lines = [
        _("suggested, withheld: {recipient} — {reason}").format(recipient=r.recipient, reason=r.reason)
        for r in preview.withheld
    ]
    lines += [_("may be personal data: {finding}").format(finding=finding) for finding in preview.personal_data]
    lines += [f"⛔ {reason}" for reason in dict.fromkeys(r.reason for r in preview.held_back)]
    return lines


def _why_previewed(confirmation: str | None, outdated: sharing.PreviewOutdated | None) -> str:
    if outdated is not None:
        return f"{outdated} "
    if confirmation == "":
        return _("Nothing was sent: a confirmation carries the preview it confirms (the button does).") + " "
    return ""


def share(call: Invocation) -> Reply:
    usage = "/incident share INC-… [to PEER|COUNTRY …]"
    reference = call.args.word(0, _("a ticket reference"), usage)
    named, confirmation = _addressees(call.args.words[1:])
    outdated = None
    if confirmation:
        try:
            done = sharing.share(call.ctx, reference, named, confirmation)
        except sharing.PreviewOutdated as changed:
            outdated = changed
        else:
            return Reply(
                text=(
                    ngettext(
                        "{reference} ({label}): {sent} STIX object queued for {value}; /incident show "
                        "{reference} follows delivery.",
                        "{reference} ({label}): {sent} STIX objects queued for {value}; /incident show "
                        "{reference} follows delivery.",
                        done.sent,
                    ).format(
                        reference=done.ticket.reference,
                        label=done.tlp.label,
                        sent=done.sent,
                        value=", ".join(done.names),
                    )
                ),
                ticket=done.ticket.reference,
            )
    preview = outdated.plan if outdated is not None else sharing.plan(call.ctx, reference, named)
    ticket = preview.ticket
    lines = [
        "→ "
        + _("{peer} ({because}; {countries}) at {url}").format(
            peer=r.peer.name, because=r.because, countries=", ".join(r.peer.countries), url=r.peer.taxii_url
        )
        for r in preview.recipients
    ]
    lines += [
        _("also suggested, not included: {peer} ({because}) — add it with: to {peer}").format(
            peer=s.peer.name, because=s.because
        )
        for s in preview.left_out
    ]
    lines += _handling_lines(preview)
    command = _confirming("share", ticket.reference, named, preview.digest)
    who = ", ".join(preview.names)
    return Reply(
        text=(
            ngettext(
                "{confirmation}Preview: share {reference} ({label}) — the ticket as STIX 2.1 (incident, "
                "countries, indicators, notes) to {recipients} peer:",
                "{confirmation}Preview: share {reference} ({label}) — the ticket as STIX 2.1 (incident, "
                "countries, indicators, notes) to {recipients} peers:",
                len(preview.recipients),
            ).format(
                confirmation=_why_previewed(confirmation, outdated),
                reference=ticket.reference,
                label=preview.tlp.label,
                recipients=len(preview.recipients),
            )
        ),
        fields=_fields(preview, who) + [(_("Confirm"), command)],
        lines=lines,
        buttons=[]
        if preview.held_back
        else [
            Button(
                _("Share"),
                command,
                ButtonStyle.PRIMARY,
                confirm=Phrase(
                    N_("Send {reference} ({label}) to {who}?"),
                    {"reference": ticket.reference, "label": preview.tlp.label, "who": who},
                ),
            )
        ],
        ticket=ticket.reference,
    )


def _fields(preview: sharing.SharePlan, who: str) -> list[tuple[str, str]]:
    fields = [("TLP", preview.tlp.label), ("PAP", f"PAP:{preview.ticket.pap.upper()}"), (_("Recipients"), who)]
    if preview.ticket.legal_basis:
        fields.append((_("Legal basis"), preview.ticket.legal_basis))
    return fields


def notify(call: Invocation) -> Reply:
    usage = "/incident notify INC-… [to PEER|COUNTRY …] [text]"
    reference = call.args.word(0, _("a ticket reference"), usage)
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
                    _(
                        "{reference} ({label}): early warning sent to {value}; /incident show {reference} "
                        "follows delivery."
                    ).format(reference=done.ticket.reference, label=done.tlp.label, value=", ".join(done.names))
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
            ngettext(
                "{confirmation}Preview: early warning about {reference} ({label}) — NOTIFY with the ticket as "
                "STIX 2.1 to {recipients} peer; their on-call is paged at {severity}:",
                "{confirmation}Preview: early warning about {reference} ({label}) — NOTIFY with the ticket as "
                "STIX 2.1 to {recipients} peers; their on-call is paged at {severity}:",
                len(preview.recipients),
            ).format(
                confirmation=_why_previewed(confirmation, outdated),
                reference=ticket.reference,
                label=preview.tlp.label,
                recipients=len(preview.recipients),
                severity=vocabulary.severity(ticket.severity),
            )
        ),
        fields=_fields(preview, who)
        + [(_("Text"), text or _("Early warning: {title}").format(title=ticket.title)), (_("Confirm"), command)],
        lines=[
            "→ "
            + _("{peer} ({because}; {countries})").format(
                peer=r.peer.name, because=r.because, countries=", ".join(r.peer.countries)
            )
            for r in preview.recipients
        ]
        + _handling_lines(preview),
        buttons=[]
        if preview.held_back
        else [
            Button(
                _("Notify"),
                command,
                ButtonStyle.PRIMARY,
                confirm=Phrase(N_("Warn {who} of {reference}?"), {"who": who, "reference": ticket.reference}),
            )
        ],
        ticket=ticket.reference,
    )


def publish(call: Invocation) -> Reply:
    usage = "/incident publish INC-… [to PARTNER …]"
    reference = call.args.word(0, _("a ticket reference"), usage)
    named, confirmation = _addressees(call.args.words[1:])
    outdated = None
    if confirmation:
        try:
            done = publishing.publish(call.ctx, reference, named, confirmation)
        except publishing.PublishPreviewOutdated as changed:
            outdated = changed
        else:
            return Reply(
                text=(
                    _("{reference} ({label}) published in {value}; its later versions follow it there.").format(
                        reference=done.ticket.reference, label=done.tlp.label, value=", ".join(done.aliases)
                    )
                ),
                ticket=done.ticket.reference,
            )
    preview = outdated.plan if outdated is not None else publishing.plan(call.ctx, reference, named)
    ticket = preview.ticket
    command = _confirming("publish", ticket.reference, named, preview.digest)
    where = ", ".join(preview.aliases)
    lines = ["→ " + _("collection {alias}").format(alias=alias) for alias in preview.aliases]
    lines += [_("may be personal data: {finding}").format(finding=finding) for finding in preview.personal_data]
    lines += [f"⛔ {reason}" for reason in preview.held_back]
    prefix = f"{outdated} " if outdated is not None else ""
    if confirmation == "":
        prefix = _("Nothing was published: a confirmation carries the preview it confirms (the button does).") + " "
    return Reply(
        text=(
            ngettext(
                "{prefix}Preview: publish {reference} ({label}) — the ticket as STIX 2.1 in {aliases} "
                "collection of ours that partner teams read:",
                "{prefix}Preview: publish {reference} ({label}) — the ticket as STIX 2.1 in {aliases} "
                "collections of ours that partner teams read:",
                len(preview.aliases),
            ).format(prefix=prefix, reference=ticket.reference, label=preview.tlp.label, aliases=len(preview.aliases))
        ),
        fields=[("TLP", preview.tlp.label), (_("Collections"), where), (_("Confirm"), command)],
        lines=lines,
        buttons=[]
        if preview.held_back
        else [
            Button(
                _("Publish"),
                command,
                ButtonStyle.PRIMARY,
                confirm=Phrase(N_("Publish {reference} in {where}?"), {"reference": ticket.reference, "where": where}),
            )
        ],
        ticket=ticket.reference,
    )


def peers_(call: Invocation) -> Reply:
    country = call.args.words[0] if call.args.words else None
    found = peers.listing(call.ctx, country)
    where = (
        " " + _("for {country} ({name})").format(country=country.upper(), name=country_name(country.upper()))
        if country
        else ""
    )
    if not found:
        return Reply(
            text=(
                _(
                    "No peer CSIRTs{where}. An operator adds them with: puente peers add NAME --countries … "
                    "--taxii-url … --collection …"
                ).format(where=where)
            )
        )
    lines = []
    for peer in found:
        line = f"{peer.name} — {', '.join(peer.countries)}: {peer.contact or _('no contact on file')}"
        if peer.backup_contact:
            line += " " + _("(backup: {contact})").format(contact=peer.backup_contact)
        lines.append(line)
    return Reply(
        text=ngettext(
            "{found} peer CSIRT point of contact{where}:", "{found} peer CSIRT points of contact{where}:", len(found)
        ).format(found=len(found), where=where),
        lines=lines,
    )


SUBCOMMANDS = [
    Subcommand(
        "share",
        "share INC-… [to PEER|COUNTRY …] [confirm=DIGEST]",
        lazy_gettext("Share a ticket with peer CSIRTs (preview first)."),
        share,
        parses_options=False,
        details=(
            lazy_gettext(
                "TLP:RED goes only to peers you name; other levels go to the peers you name or those the "
                "ticket's countries suggest. The preview's Share button (or confirm=DIGEST, as the preview "
                "shows it) sends exactly what was previewed; if anything changed since, a new preview is shown "
                "instead."
            )
        ),
    ),
    Subcommand(
        "notify",
        "notify INC-… [to PEER|COUNTRY …] [text] [confirm=DIGEST]",
        lazy_gettext("Early warning to peer CSIRTs (preview first)."),
        notify,
        parses_options=False,
        details=lazy_gettext(
            "Goes to the peers the ticket's countries suggest, or those named; their on-call is paged at the "
            "ticket's severity. TLP:RED goes only to peers you name."
        ),
    ),
    Subcommand(
        "publish",
        "publish INC-… [to PARTNER …] [confirm=DIGEST]",
        lazy_gettext("Publish a ticket in the TAXII collections partner teams read (preview first)."),
        publish,
        parses_options=False,
        details=lazy_gettext(
            "TLP:CLEAR goes in public and community, GREEN in community, AMBER and AMBER+STRICT only in the "
            "own collections of the partners you name, RED in none. Later versions follow it there."
        ),
    ),
    Subcommand("peers", "peers [COUNTRY]", lazy_gettext("Points of contact of peer CSIRTs."), peers_, {}),
]
