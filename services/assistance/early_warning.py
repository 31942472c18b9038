"""Early warning (NOTIFY): telling the peers a ticket's countries suggest (or those named) that an incident
touches them, no action asked. The same preview-then-confirm as `share`: the preview names who will be
told; confirmed, each gets the NOTIFY with the whole ticket, and the ticket's later versions follow."""

from __future__ import annotations

import re
import uuid

from puente.i18n import N_, Listed, Phrase, Written, _
from puente.services.assistance import messages
from puente.services.assistance.service import writers_language
from puente.services.context import Context
from puente.services.errors import InvalidInput
from puente.services.exchange import service as exchange
from puente.services.handling.decision import Exit
from puente.services.peers import flows as peer_flows
from puente.services.sharing import copies
from puente.services.sharing import service as sharing
from puente.services.sharing.service import SharePlan
from puente.services.vocabularies.taxonomy import TLP
from puente.stix import assistance as stix_notes
from puente.stix.markings import MARKING_IDS
from puente.storage import peers as peer_store


def recipients_and_text(ctx: Context, words: list[str]) -> tuple[list[str], str]:
    """`to cert-br,AR Botnet seen here` -> (["cert-br", "AR"], "Botnet seen here"): after `to`, the words naming
    peers or the countries they serve; the rest is the text."""
    if not words or words[0].lower() != "to":
        return [], " ".join(words)
    named: list[str] = []
    rest = words[1:]
    while rest and all(_names_a_recipient(ctx, name) for name in rest[0].split(",") if name):
        named += [name for name in rest[0].split(",") if name]
        rest = rest[1:]
    if not named:
        raise InvalidInput(
            _("{value} names no peer after `to`: puente peers list shows them.").format(
                value=rest[0] if rest else _("Nothing")
            )
        )
    return named, " ".join(rest)


def _names_a_recipient(ctx: Context, word: str) -> bool:
    return peer_store.by_name(ctx.session, word) is not None or bool(re.fullmatch(r"[A-Za-z]{2}", word))


def plan(ctx: Context, reference: str, named: list[str]) -> SharePlan:
    """Who an early warning about the ticket would reach: the sharing rules of its TLP decide, as for `share`."""
    return sharing.plan(ctx, reference, named, Exit.NOTIFY)


def notify(ctx: Context, reference: str, named: list[str], text: str, digest: str) -> SharePlan:
    """Send the NOTIFY, with the ticket's objects, to every recipient of the previewed plan (`digest`)."""
    warned = sharing.confirmed(ctx, reference, named, digest, Exit.NOTIFY)
    ticket = warned.ticket
    recipients = [recipient.peer for recipient in warned.recipients]
    for peer in recipients:
        copies.link(ctx, peer, ticket)
    objects, _ = exchange.current_objects(ctx, ticket)
    words = text.strip() or f"Early warning: {ticket.title}"
    # The language travels as on every note with free text: the writer's, or English for Puente's own words.
    language = writers_language(ctx, text) or "en"
    message = stix_notes.Message(
        "NOTIFY", str(uuid.uuid4()), ticket.reference, ticket.incident_id, words, lang=language
    )
    note = stix_notes.note(
        message, created_by=messages.our_identity(ctx), marking_ref=MARKING_IDS.get(ticket.tlp), at=ctx.now()
    )
    warned.sent = peer_flows.send_to_peers(
        ctx,
        warned.decision,
        recipients,
        [*objects, note],
        max(TLP(ticket.tlp), TLP.AMBER, key=lambda t: t.rank),
        definitions=[stix_notes.EXTENSION_DEFINITION, *exchange.definitions_for(objects)],
        ticket_id=ticket.id,
        summary=Phrase(N_("early warning {reference}"), {"reference": ticket.reference}),
    )
    copies.sent_to(ctx, recipients, ticket)
    ctx.record(
        action="early-warning",
        ticket_id=ticket.id,
        summary=Phrase(
            N_("{tlp} to {recipients}: {text}"),
            {
                "tlp": warned.tlp.label,
                "recipients": Listed(tuple(warned.names)),
                "text": Written(words[:200], language),
            },
        ),
        after={"recipients": warned.names, "tlp": warned.tlp.value},
    )
    return warned
