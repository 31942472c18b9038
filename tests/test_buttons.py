"""Buttons remembered server-side: tokens short enough for Telegram, expiring, and cleaned up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from puente.bot.telegram import buttons
from puente.i18n import Phrase, Words
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.errors import NotFound
from puente.storage.buttons import PendingButton


def test_a_token_stands_for_the_button_until_it_expires(runtime: Runtime, clock: ManualClock) -> None:
    command = 'assist decline RFA-2026-0042 reason="out-of-mandate" note="the host is outside our constituency"'
    question = Phrase("Decline {reference}?", {"reference": "RFA-2026-0042"})
    reason = Phrase("{reason}", {"reason": Words("decline reason", ("out-of-mandate",))})
    with runtime.unit_of_work() as ctx:
        token = buttons.issue(ctx, command, confirm=question, choices=[(reason, "out-of-mandate")])
    assert len(token) <= 22 and "RFA" not in token
    with runtime.unit_of_work() as ctx:
        pressed = buttons.press(ctx, token)
    assert pressed == buttons.PressedButton(command, question, ((reason, "out-of-mandate"),))

    clock.advance(buttons.BUTTON_LIFETIME)
    with (
        runtime.unit_of_work() as ctx,
        pytest.raises(NotFound, match=f"This button has expired. Type the command instead: /incident {command}"),
    ):
        buttons.press(ctx, token)


def test_unknown_tokens_are_refused_and_long_expired_buttons_are_forgotten(
    runtime: Runtime, clock: ManualClock
) -> None:
    with runtime.unit_of_work() as ctx, pytest.raises(NotFound, match="no longer known"):
        buttons.press(ctx, "forged-token")
    with runtime.unit_of_work() as ctx:
        old = buttons.issue(ctx, "timeline INC-2026-0001")
    clock.advance(buttons.BUTTON_LIFETIME * 2 + timedelta(seconds=1))
    with runtime.unit_of_work() as ctx:
        fresh = buttons.issue(ctx, "timeline INC-2026-0002")
    with runtime.unit_of_work() as ctx:
        assert [b.token for b in ctx.session.exec(select(PendingButton))] == [fresh]
        with pytest.raises(NotFound, match="no longer known"):
            buttons.press(ctx, old)
