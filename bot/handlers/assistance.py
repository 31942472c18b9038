"""Mutual-assistance commands: assist (ask a peer), and the answers accept, decline, info, sitrep,
result, forward; the requester ends a request with `close INC-… rfa` or `cancel`. Acknowledging a
request is `ack INC-…` (bot/handlers/oncall.py), which also stops the page it raised."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.services.assistance import protocol, requester, responder
from puente.services.assistance import service as assistance
from puente.services.assistance.protocol import ACTIONS, DECLINE_REASONS
from puente.services.assistance.service import RequestView

PEER_OPTION = {"peer": "peer"}


def _reply(headline: str, view: RequestView) -> Reply:
    r = view.request
    fields = [("State", r.state), ("Peer", view.peer), ("Actions", ", ".join(r.actions))]
    if r.deadline:
        fields.append(("Deadline", f"{r.deadline:%Y-%m-%d %H:%M} UTC"))
    other = r.responder_reference if r.direction == protocol.OUTBOUND else r.requester_reference
    fields.append(("Their ticket", f"{view.peer} {other}" if other else "not known yet"))
    return Reply(text=f"{view.ticket}: {headline}", fields=fields, ticket=view.ticket)


def _text(call: Invocation, skip: int) -> str:
    return " ".join(call.args.words[skip:])


def assist(call: Invocation) -> Reply:
    usage = "/incident assist INC-… PEER ACTION[,ACTION] [by=4h] [text]"
    reference = call.args.word(0, "a ticket reference", usage)
    peer = call.args.word(1, "the peer to ask (puente peers list)", usage)
    actions = protocol.parse_actions(call.args.word(2, "the actions you ask for", usage))
    deadline = protocol.parse_deadline(call.args.options["by"], call.ctx.now()) if "by" in call.args.options else None
    view = requester.request(call.ctx, reference, peer, actions, deadline, _text(call, 3))
    r = view.request
    reply = _reply(
        f"request for assistance sent to {view.peer} ({r.severity}: "
        f"ACK expected by {r.ack_due_at:%Y-%m-%d %H:%M} UTC).",
        view,
    )
    reply.buttons = [
        Button(
            "Cancel request", f"cancel {view.ticket}", ButtonStyle.DANGER, confirm=f"Cancel the request to {view.peer}?"
        )
    ]
    return reply


def answer_buttons(reference: str) -> list[Button]:
    """What the responder does after acknowledging a request."""
    return [
        Button("Accept", f"accept {reference}", ButtonStyle.PRIMARY),
        Button("Decline", f"decline {reference}", ButtonStyle.DANGER, choices=tuple((r, r) for r in DECLINE_REASONS)),
    ]


def accept(call: Invocation) -> Reply:
    reference = call.args.word(0, "a ticket reference", "/incident accept INC-… [partial] [text]")
    partial = len(call.args.words) > 1 and call.args.words[1].lower() == "partial"
    view = responder.accept(call.ctx, reference, _text(call, 2 if partial else 1), partial=partial)
    return _reply(
        f"{'partly ' if partial else ''}accepted {view.peer}'s "
        f"request; send progress with /incident sitrep {view.ticket} …",
        view,
    )


def decline(call: Invocation) -> Reply:
    usage = f"/incident decline INC-… REASON [text] (REASON: {', '.join(DECLINE_REASONS)})"
    reference = call.args.word(0, "a ticket reference", usage)
    if len(call.args.words) < 2:
        return Reply(
            text=f"{reference.upper()}: why decline? Pick a reason.",
            buttons=[
                Button(
                    "Decline",
                    f"decline {reference.upper()}",
                    ButtonStyle.DANGER,
                    choices=tuple((r, r) for r in DECLINE_REASONS),
                )
            ],
            ticket=reference.upper(),
        )
    view = responder.decline(call.ctx, reference, call.args.words[1], _text(call, 2))
    return _reply(f"declined {view.peer}'s request ({view.request.reason}).", view)


def info(call: Invocation) -> Reply:
    reference = call.args.word(0, "a ticket reference", "/incident info INC-… <what you need or what you give>")
    peer = call.args.options.get("peer")
    # One command for both sides: the responder asks for information, the requester gives it.
    if assistance.our_side(call.ctx, reference, peer) == protocol.INBOUND:
        view = responder.ask_for_info(call.ctx, reference, _text(call, 1), peer_name=peer)
    else:
        view = requester.give_info(call.ctx, reference, _text(call, 1), peer_name=peer)
    sent = view.messages[-1].type if view.messages else "INFO"
    return _reply(f"{sent} sent to {view.peer}.", view)


def sitrep(call: Invocation) -> Reply:
    reference = call.args.word(0, "a ticket reference", "/incident sitrep INC-… <progress>")
    view = responder.sitrep(call.ctx, reference, _text(call, 1))
    return _reply(f"situation report sent to {view.peer}.", view)


def result(call: Invocation) -> Reply:
    usage = "/incident result INC-… [done|failed] <what was done>"
    reference = call.args.word(0, "a ticket reference", usage)
    outcome = call.args.words[1].lower() if len(call.args.words) > 1 else ""
    failed = outcome == "failed"
    view = responder.result(call.ctx, reference, _text(call, 2 if outcome in ("done", "failed") else 1), failed=failed)
    return _reply(f"result sent to {view.peer}: {view.request.state}.", view)


def forward(call: Invocation) -> Reply:
    usage = "/incident forward INC-… PEER [text]"
    reference = call.args.word(0, "a ticket reference", usage)
    view = responder.forward(
        call.ctx, reference, call.args.word(1, "the peer the request goes on to", usage), _text(call, 2)
    )
    r = view.request
    return _reply(f"forwarded {view.peer}'s request to {r.forwarded_to} as our own; told {view.peer}.", view)


def close_request(call: Invocation) -> Reply:
    """`/incident close INC-… rfa [text]`: the requester closes its assistance request (the ticket stays open)."""
    reference = call.args.word(0, "a ticket reference", "/incident close INC-… rfa [text]")
    view = requester.close(call.ctx, reference, _text(call, 2))
    return _reply(f"assistance request to {view.peer} closed.", view)


def cancel(call: Invocation) -> Reply:
    reference = call.args.word(0, "a ticket reference", "/incident cancel INC-… [text]")
    view = requester.cancel(call.ctx, reference, _text(call, 1), peer_name=call.args.options.get("peer"))
    return _reply(f"request to {view.peer} cancelled.", view)


SUBCOMMANDS = [
    Subcommand(
        "assist",
        "assist INC-… PEER ACTION[,ACTION] [by=4h] [text]",
        "Ask a peer CSIRT for assistance (RFA).",
        assist,
        {"by": "by"},
        details="Actions: " + ", ".join(ACTIONS) + ". The peer must ACK within 1 h (critical), 4 h (high) or 24 h;"
        " past by= the actions expire and must not be carried out.",
    ),
    Subcommand(
        "accept",
        "accept INC-… [partial] [text]",
        "Accept a peer's request (or part of it).",
        accept,
        parses_options=False,
    ),
    Subcommand(
        "decline",
        "decline INC-… REASON [text]",
        "Decline a peer's request with a reason.",
        decline,
        parses_options=False,
        details="Reasons: " + ", ".join(DECLINE_REASONS) + ".",
    ),
    Subcommand(
        "info",
        "info INC-… <text> [peer=NAME]",
        "Ask for information (responder) or give it (requester).",
        info,
        PEER_OPTION,
    ),
    Subcommand("sitrep", "sitrep INC-… <text>", "Send the requester a situation report.", sitrep, parses_options=False),
    Subcommand(
        "result",
        "result INC-… [done|failed] <text>",
        "Report the outcome of the requested actions.",
        result,
        parses_options=False,
    ),
    Subcommand(
        "forward",
        "forward INC-… PEER [text]",
        "Send the request on to a better placed peer (as our own request); the requester sees where it went.",
        forward,
        parses_options=False,
    ),
    Subcommand(
        "cancel", "cancel INC-… [text] [peer=NAME]", "Withdraw our request for assistance.", cancel, PEER_OPTION
    ),
]
