"""Mutual-assistance commands: assist (ask a peer), and the answers accept, decline, info, sitrep,
result, forward; the requester ends a request with `close INC-… rfa` or `cancel`. Acknowledging a
request is `ack INC-…` (bot/handlers/oncall.py), which also stops the page it raised."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.i18n import N_, Phrase, _, format_datetime, lazy_gettext
from puente.services.assistance import messages as assistance_messages
from puente.services.assistance import protocol, requester, responder
from puente.services.assistance.protocol import ACTIONS, DECLINE_REASONS
from puente.services.assistance.service import RequestView
from puente.services.vocabularies import aliases
from puente.services.vocabularies import assistance as words
from puente.services.vocabularies import words as vocabulary

PEER_OPTION = {"peer": "peer"}
# The words after the reference that say how, in each language: `accept INC-… parcial`, `result INC-… failed`.
PARTIAL = {"partial", "parcial", "partiel"}
DONE = {"done", "hecho", "feito", "fait"}
FAILED = {"failed", "fallido", "falhou", "echoue"}


def _reply(call: Invocation, headline: str, view: RequestView) -> Reply:
    r = view.request
    fields = [(_("State"), words.state(r.state)), (_("Peer"), view.peer), (_("Actions"), words.actions(r.actions))]
    if r.deadline:
        fields.append((_("Deadline"), format_datetime(r.deadline, year=True)))
    other = r.responder_reference if r.direction == protocol.OUTBOUND else r.requester_reference
    fields.append((_("Their ticket"), f"{view.peer} {other}" if other else _("not known yet")))
    return Reply(text=f"{view.ticket}: {headline}", fields=fields, ticket=view.ticket)


def _text(call: Invocation, skip: int) -> str:
    return " ".join(call.args.words[skip:])


def _said(call: Invocation, index: int) -> str:
    return aliases.fold(call.args.words[index]) if len(call.args.words) > index else ""


def assist(call: Invocation) -> Reply:
    usage = "/incident assist INC-… PEER ACTION[,ACTION] [by=4h] [text]"
    reference = call.args.word(0, _("a ticket reference"), usage)
    peer = call.args.word(1, _("the peer to ask (puente peers list)"), usage)
    actions = protocol.parse_actions(call.args.word(2, _("the actions you ask for"), usage))
    deadline = protocol.parse_deadline(call.args.options["by"], call.ctx.now()) if "by" in call.args.options else None
    view = requester.request(call.ctx, reference, peer, actions, deadline, _text(call, 3))
    r = view.request
    assert r.ack_due_at is not None  # an RFA waits for its ACK
    headline = _("request for assistance sent to {peer} ({severity}: ACK expected by {due}).").format(
        peer=view.peer, severity=vocabulary.severity(r.severity), due=format_datetime(r.ack_due_at)
    )
    reply = _reply(call, headline, view)
    reply.buttons = [
        Button(
            _("Cancel request"),
            f"cancel {view.ticket}",
            ButtonStyle.DANGER,
            confirm=Phrase(N_("Cancel the request to {peer}?"), {"peer": view.peer}),
        )
    ]
    return reply


def answer_buttons(reference: str) -> list[Button]:
    """What the responder does after acknowledging a request."""
    return [
        Button(_("Accept"), f"accept {reference}", ButtonStyle.PRIMARY),
        Button(_("Decline"), f"decline {reference}", ButtonStyle.DANGER, choices=words.reason_choices()),
    ]


def accept(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), "/incident accept INC-… [partial] [text]")
    partial = _said(call, 1) in PARTIAL
    view = responder.accept(call.ctx, reference, _text(call, 2 if partial else 1), partial=partial)
    if partial:
        headline = _("partly accepted {peer}'s request; send progress with /incident sitrep {ticket} …")
    else:
        headline = _("accepted {peer}'s request; send progress with /incident sitrep {ticket} …")
    return _reply(call, headline.format(peer=view.peer, ticket=view.ticket), view)


def decline(call: Invocation) -> Reply:
    usage = f"/incident decline INC-… REASON [text] (REASON: {', '.join(DECLINE_REASONS)})"
    reference = call.args.word(0, _("a ticket reference"), usage)
    if len(call.args.words) < 2:
        return Reply(
            text=_("{reference}: why decline? Pick a reason.").format(reference=reference.upper()),
            buttons=[
                Button(_("Decline"), f"decline {reference.upper()}", ButtonStyle.DANGER, choices=words.reason_choices())
            ],
            ticket=reference.upper(),
        )
    view = responder.decline(call.ctx, reference, call.args.words[1], _text(call, 2))
    headline = _("declined {peer}'s request ({reason}).").format(
        peer=view.peer, reason=words.reason(view.request.reason or "")
    )
    return _reply(call, headline, view)


def info(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), "/incident info INC-… <what you need or what you give>")
    peer = call.args.options.get("peer")
    # One command for both sides: the responder asks for information, the requester gives it.
    if assistance_messages.our_side(call.ctx, reference, peer) == protocol.INBOUND:
        view = responder.ask_for_info(call.ctx, reference, _text(call, 1), peer_name=peer)
    else:
        view = requester.give_info(call.ctx, reference, _text(call, 1), peer_name=peer)
    sent = view.messages[-1].type if view.messages else "INFO"
    return _reply(call, _("{message} sent to {peer}.").format(message=words.message(sent), peer=view.peer), view)


def sitrep(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), "/incident sitrep INC-… <progress>")
    view = responder.sitrep(call.ctx, reference, _text(call, 1))
    return _reply(call, _("situation report sent to {peer}.").format(peer=view.peer), view)


def result(call: Invocation) -> Reply:
    usage = "/incident result INC-… [done|failed] <what was done>"
    reference = call.args.word(0, _("a ticket reference"), usage)
    outcome = _said(call, 1)
    said = outcome in DONE or outcome in FAILED
    view = responder.result(call.ctx, reference, _text(call, 2 if said else 1), failed=outcome in FAILED)
    headline = _("result sent to {peer}: {state}.").format(peer=view.peer, state=words.state(view.request.state))
    return _reply(call, headline, view)


def forward(call: Invocation) -> Reply:
    usage = "/incident forward INC-… PEER [text]"
    reference = call.args.word(0, _("a ticket reference"), usage)
    view = responder.forward(
        call.ctx, reference, call.args.word(1, _("the peer the request goes on to"), usage), _text(call, 2)
    )
    headline = _("forwarded {peer}'s request to {other} as our own; told {peer}.").format(
        peer=view.peer, other=view.request.forwarded_to
    )
    return _reply(call, headline, view)


def close_request(call: Invocation) -> Reply:
    """`/incident close INC-… rfa [text]`: the requester closes its assistance request (the ticket stays open)."""
    reference = call.args.word(0, _("a ticket reference"), "/incident close INC-… rfa [text]")
    view = requester.close(call.ctx, reference, _text(call, 2))
    return _reply(call, _("assistance request to {peer} closed.").format(peer=view.peer), view)


def cancel(call: Invocation) -> Reply:
    reference = call.args.word(0, _("a ticket reference"), "/incident cancel INC-… [text]")
    view = requester.cancel(call.ctx, reference, _text(call, 1), peer_name=call.args.options.get("peer"))
    return _reply(call, _("request to {peer} cancelled.").format(peer=view.peer), view)


SUBCOMMANDS = [
    Subcommand(
        "assist",
        "assist INC-… PEER ACTION[,ACTION] [by=4h] [text]",
        lazy_gettext("Ask a peer CSIRT for assistance (RFA)."),
        assist,
        {"by": "by"},
        details=lazy_gettext(
            "Actions: {actions}. The peer must ACK within 1 h (critical), 4 h (high) or 24 h;"
            " past by= the actions expire and must not be carried out.",
            actions=", ".join(ACTIONS),
        ),
    ),
    Subcommand(
        "accept",
        "accept INC-… [partial] [text]",
        lazy_gettext("Accept a peer's request (or part of it)."),
        accept,
        parses_options=False,
    ),
    Subcommand(
        "decline",
        "decline INC-… REASON [text]",
        lazy_gettext("Decline a peer's request with a reason."),
        decline,
        parses_options=False,
        details=lazy_gettext("Reasons: {reasons}.", reasons=", ".join(DECLINE_REASONS)),
    ),
    Subcommand(
        "info",
        "info INC-… <text> [peer=NAME]",
        lazy_gettext("Ask for information (responder) or give it (requester)."),
        info,
        PEER_OPTION,
    ),
    Subcommand(
        "sitrep",
        "sitrep INC-… <text>",
        lazy_gettext("Send the requester a situation report."),
        sitrep,
        parses_options=False,
    ),
    Subcommand(
        "result",
        "result INC-… [done|failed] <text>",
        lazy_gettext("Report the outcome of the requested actions."),
        result,
        parses_options=False,
    ),
    Subcommand(
        "forward",
        "forward INC-… PEER [text]",
        lazy_gettext(
            "Send the request on to a better placed peer (as our own request); the requester sees where it went."
        ),
        forward,
        parses_options=False,
    ),
    Subcommand(
        "cancel",
        "cancel INC-… [text] [peer=NAME]",
        lazy_gettext("Withdraw our request for assistance."),
        cancel,
        PEER_OPTION,
    ),
]
