"""Replies and notices as Block Kit messages, within Slack's limits.

Slack rejects a message with more than 50 blocks or a section text over 3,000 characters, so a
long reply (a timeline of hundreds of events) becomes several messages, each within the limits,
with the buttons on the last one.
"""

from __future__ import annotations

from typing import Any

from puente import i18n
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.i18n import _
from puente.services.notify import Notice, printable, single_line

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ACTIONS = 25
MAX_BUTTON_LABEL = 75
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_CONFIRM_TEXT = 300
MAX_FALLBACK_TEXT = 3000

RUN_ACTION = "puente.run"
CHOOSE_ACTION = "puente.choose"

Block = dict[str, Any]


class Message(dict[str, Any]):
    """`{"text": fallback, "blocks": [...]}`: the keyword arguments of chat.postMessage / respond."""

    @property
    def blocks(self) -> list[Block]:
        return list(self["blocks"])


def escape(text: str) -> str:
    """Slack mrkdwn control characters; escaping also keeps a ticket title from pinging <!channel> or
    passing off a link (<https://evil|https://good>), and control characters go (`printable`)."""
    return printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pieces(text: str, limit: int) -> list[str]:
    """Cut text into pieces of at most `limit` characters, at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}


def _text_sections(text: str) -> list[Block]:
    return [_section(piece) for piece in _pieces(escape(text), MAX_SECTION_TEXT)]


def _field_sections(fields: list[tuple[str, str]]) -> list[Block]:
    rendered = [
        {"type": "mrkdwn", "text": clip(f"*{escape(single_line(name))}*\n{escape(single_line(value))}", MAX_FIELD_TEXT)}
        for name, value in fields
    ]
    return [{"type": "section", "fields": rendered[i : i + MAX_FIELDS]} for i in range(0, len(rendered), MAX_FIELDS)]


def _confirm(button: Button) -> Block:
    assert button.confirm is not None
    dialog: Block = {
        "title": {"type": "plain_text", "text": clip(button.label, 100)},
        "text": {"type": "plain_text", "text": clip(str(button.confirm), MAX_CONFIRM_TEXT)},
        "confirm": {"type": "plain_text", "text": clip(button.label, 30)},
        "deny": {"type": "plain_text", "text": _("Cancel")},
    }
    if button.style == ButtonStyle.DANGER:
        dialog["style"] = "danger"
    return dialog


def _button(button: Button, index: int, label: str | None = None, command: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(label or button.label, MAX_BUTTON_LABEL)},
        "action_id": f"{RUN_ACTION}.{index}",
        "value": command or button.command,
    }
    if button.style != ButtonStyle.DEFAULT:
        element["style"] = button.style.value
    if button.confirm:
        element["confirm"] = _confirm(button)
    return element


def _elements(buttons: list[Button]) -> list[Block]:
    """A plain button, or for a button with choices a picker whose option value is the whole command."""
    elements: list[Block] = []
    for button in buttons:
        commands = [(str(label), f"{button.command} {value}") for label, value in button.choices]
        if not commands:
            elements.append(_button(button, len(elements)))
        elif len(commands) <= MAX_OPTIONS and all(len(c) <= MAX_OPTION_VALUE for _label, c in commands):
            picker: Block = {
                "type": "static_select",
                "placeholder": {"type": "plain_text", "text": clip(button.label, MAX_OPTION_TEXT)},
                "action_id": f"{CHOOSE_ACTION}.{len(elements)}",
                "options": [
                    {"text": {"type": "plain_text", "text": clip(label, MAX_OPTION_TEXT)}, "value": command}
                    for label, command in commands
                ],
            }
            if button.confirm:
                picker["confirm"] = _confirm(button)
            elements.append(picker)
        else:
            # Option values hold 150 characters; a longer command still works as one button per choice.
            for label, command in commands:
                elements.append(_button(button, len(elements), f"{button.label}: {label}", command))
    return elements


def _action_blocks(buttons: list[Button]) -> list[Block]:
    elements = _elements(buttons)
    return [
        {"type": "actions", "elements": elements[i : i + MAX_ACTIONS]} for i in range(0, len(elements), MAX_ACTIONS)
    ]


def _fallback(reply: Reply) -> str:
    """The notification and screen-reader text of a message."""
    return clip(escape(reply.text), MAX_FALLBACK_TEXT)


def render_reply(reply: Reply) -> list[Message]:
    """One or more messages, each within Block Kit's limits, in the order they are to be posted; what the
    rendering adds (a confirm dialog's Cancel, "part 2 of 3") reads in the reply's language."""
    with i18n.language(reply.language):
        return _render_reply(reply)


def _render_reply(reply: Reply) -> list[Message]:
    content = _text_sections(reply.text) + _field_sections(reply.fields)
    if reply.lines:
        content += _text_sections("\n".join(single_line(line) for line in reply.lines))
    actions = _action_blocks(reply.buttons)
    room = MAX_BLOCKS - len(actions)
    chunks: list[list[Block]] = [content[i : i + MAX_BLOCKS] for i in range(0, len(content), MAX_BLOCKS)] or [[]]
    if len(chunks[-1]) > room:
        chunks.append([])
    chunks[-1] += actions
    headline = reply.text.split("\n", 1)[0]
    messages = []
    for number, blocks in enumerate(chunks, start=1):
        text = (
            _fallback(reply)
            if number == 1
            else clip(
                _("{headline} (part {number} of {count})").format(
                    headline=escape(headline), number=number, count=len(chunks)
                ),
                MAX_FALLBACK_TEXT,
            )
        )
        messages.append(Message(text=text, blocks=blocks))
    return messages


def notice_reply(notice: Notice) -> Reply:
    buttons = [Button(a.label, a.command, ButtonStyle(a.style)) for a in notice.actions]
    return Reply(
        text=notice.text, fields=list(notice.fields), buttons=buttons, ticket=notice.ticket, language=notice.language
    )


def render_notice(notice: Notice) -> Message:
    """A page or assistance request is one message (it is updated in place later), clipped to 50 blocks."""
    messages = render_reply(notice_reply(notice))
    if len(messages) == 1:
        return messages[0]
    actions = [b for b in messages[-1].blocks if b["type"] == "actions"]
    blocks = [b for m in messages for b in m.blocks if b["type"] != "actions"][: MAX_BLOCKS - len(actions) - 1]
    with i18n.language(notice.language):
        blocks.append(_section(_("… (shortened; /incident show has the rest)")))
    return Message(text=messages[0]["text"], blocks=blocks + actions)
