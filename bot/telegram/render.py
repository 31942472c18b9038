"""Replies and notices as Telegram messages: HTML parse mode, inline keyboards, split at 4,096.

Every line of HTML produced here opens and closes its own tags, so a message can be cut between
any two lines and each part is still valid HTML. A line too long for one message is cut inside
its text and each piece re-wrapped in the line's formatting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from puente import i18n
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.bot.telegram import buttons
from puente.i18n import _
from puente.services.context import Context
from puente.services.notify import Notice, printable, single_line

MESSAGE_LIMIT = 4096
"""Telegram's limit on a message's text; counted here in UTF-16 units of the HTML, which is never
less than what Telegram counts after parsing the entities."""
CALLBACK_DATA_LIMIT = 64
"""Bytes of `callback_data` a button may carry."""
BUTTONS_PER_ROW = 3
# callback_data is "<kind>:<token>": a button on a reply or page, or a key on a confirm/choice
# prompt Puente posted (its outcome replaces the prompt); plus the prompts' Cancel key.
ON_REPLY = "b"
ON_PROMPT = "p"
CANCEL = "cancel"

Segment = tuple[str, bool]  # (text, bold)
Line = list[Segment]
CallbackData = Callable[[Button], str]


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """One sendMessage's worth: HTML text and, on the last part of a reply only, its keyboard."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None


def telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _html(line: Line) -> str:
    return "".join(f"<b>{escape(text, quote=False)}</b>" if bold else escape(text, quote=False) for text, bold in line)


def _lines(reply: Reply) -> list[Line]:
    first, *rest = printable(reply.text).split("\n") if reply.text else [""]
    lines: list[Line] = [[(first, True)] if reply.ok else [("⚠️ " + first, False)]]
    lines += [[(text, False)] for text in rest]
    lines += [[(f"{single_line(name)}: ", True), (single_line(value), False)] for name, value in reply.fields]
    lines += [[("• " + single_line(text), False)] for text in reply.lines]
    return lines


def _pieces(line: Line, limit: int) -> Iterator[Line]:
    """The line itself when it fits, else consecutive pieces that each fit."""
    if telegram_length(_html(line)) <= limit:
        yield line
        return
    piece: Line = []
    size = 0  # of the segments already in `piece`
    for text, bold in line:
        wrap = len("<b></b>") if bold else 0
        start, used = 0, wrap
        for index, char in enumerate(text):
            cost = telegram_length(escape(char, quote=False))
            if size + used + cost > limit:
                if index > start:
                    piece.append((text[start:index], bold))
                if piece:
                    yield piece
                piece, size, start, used = [], 0, index, wrap
            used += cost
        if start < len(text):
            piece.append((text[start:], bold))
            size += used
    if piece:
        yield piece


def split_html(lines: list[Line], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack lines into as few messages as fit, breaking only between lines (or inside an overlong one)."""
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        for piece in _pieces(line, limit):
            html = _html(piece)
            extra = telegram_length(html) + (1 if current else 0)
            if current and size + extra > limit:
                messages.append("\n".join(current))
                current, size = [], 0
                extra = telegram_length(html)
            current.append(html)
            size += extra
    if current or not messages:
        messages.append("\n".join(current))
    return messages


def stored_buttons(ctx: Context, kind: str = ON_REPLY) -> CallbackData:
    """callback_data for buttons remembered server-side (see bot/telegram/buttons.py) under short tokens."""
    return lambda b: f"{kind}:" + buttons.issue(ctx, b.command, confirm=b.confirm, choices=b.choices)


def keyboard(buttons: list[Button], callback_data: CallbackData) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    keys = []
    for button in buttons:
        data = callback_data(button)
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback_data {data!r} is over Telegram's {CALLBACK_DATA_LIMIT} bytes")
        keys.append(InlineKeyboardButton(button.label, callback_data=data))
    return InlineKeyboardMarkup([keys[i : i + BUTTONS_PER_ROW] for i in range(0, len(keys), BUTTONS_PER_ROW)])


def render(reply: Reply, callback_data: CallbackData) -> list[TelegramMessage]:
    """The reply as one or more messages; the keyboard rides on the last, under the text it acts on."""
    parts = split_html(_lines(reply))
    markup = keyboard(reply.buttons, callback_data)
    return [TelegramMessage(html, markup if i == len(parts) - 1 else None) for i, html in enumerate(parts)]


def render_single(reply: Reply, callback_data: CallbackData) -> TelegramMessage:
    """The reply as exactly one message (an edit cannot add messages): cut short with a note, in the reply's
    language, if need be."""
    parts = split_html(_lines(reply), MESSAGE_LIMIT - 64)
    if len(parts) == 1:
        return TelegramMessage(parts[0], keyboard(reply.buttons, callback_data))
    with i18n.language(reply.language):
        note = escape(_("… (cut short: too long for one Telegram message)"), quote=False)
    return TelegramMessage(f"{parts[0]}\n{note}", keyboard(reply.buttons, callback_data))


def reply_of(notice: Notice) -> Reply:
    """A notice reads like a reply: the same rendering serves pages and command answers."""
    styles = {style.value: style for style in ButtonStyle}
    buttons = [Button(a.label, a.command, styles.get(a.style, ButtonStyle.DEFAULT)) for a in notice.actions]
    return Reply(
        text=notice.text, fields=list(notice.fields), buttons=buttons, ticket=notice.ticket, language=notice.language
    )
