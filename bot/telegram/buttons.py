"""Buttons remembered server-side, for chat platforms that carry only a short token per button.

Telegram gives a button 64 bytes of `callback_data`; a command line with a ticket reference and a
reason does not always fit, so the adapter stores what the button does here and sends a token.
Tokens expire: a button pressed weeks later must not act on a situation that has moved on.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from puente.i18n import Phrase, _
from puente.services.context import Context
from puente.services.errors import NotFound
from puente.storage import buttons as button_store
from puente.storage.buttons import PendingButton

BUTTON_LIFETIME = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class PressedButton:
    """What a press asks for: run `command`, after asking `confirm`, or once one of `choices` (label,
    value) is picked; the question and the labels are read by whoever pressed, in their language."""

    command: str
    confirm: Phrase | None = None
    choices: tuple[tuple[Phrase, str], ...] = ()


def issue(
    ctx: Context,
    command: str,
    *,
    confirm: Phrase | None = None,
    choices: Sequence[tuple[Phrase, str]] = (),
    lifetime: timedelta = BUTTON_LIFETIME,
) -> str:
    """Remember a button and return its token (22 URL-safe characters at most)."""
    now = ctx.now()
    # Keep expired buttons for one more lifetime so a late press still hears what it was for.
    button_store.delete_expired(ctx.session, now - lifetime)
    token = secrets.token_urlsafe(12)
    button_store.add(
        ctx.session,
        PendingButton(
            token=token,
            command=command,
            question=confirm.stored() if confirm is not None else None,
            choices=[{"label": label.stored(), "value": value} for label, value in choices],
            created_at=now,
            expires_at=now + lifetime,
        ),
    )
    return token


def press(ctx: Context, token: str) -> PressedButton:
    """The button behind `token`; refuses expired and unknown tokens with what to do instead."""
    button = button_store.by_token(ctx.session, token)
    if button is None:
        raise NotFound(
            _("This button is no longer known to Puente. Type the command instead, e.g. /incident show INC-…")
        )
    if button.expires_at <= ctx.now():
        raise NotFound(
            _("This button has expired. Type the command instead: /incident {command}").format(command=button.command)
        )
    confirm = Phrase.from_stored(button.question) if button.question is not None else None
    choices = tuple((Phrase.from_stored(choice["label"]), str(choice["value"])) for choice in button.choices)
    return PressedButton(button.command, confirm, choices)
