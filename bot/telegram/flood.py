"""Telegram's flood control: a 429 names how long to wait; wait that long and try again."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 5


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 is moving retry_after from int to timedelta and warns on every read; both are handled.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def obeying_flood_control(call: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Run one Bot API call, waiting out each RetryAfter; the last attempt's RetryAfter reaches the caller."""
    for attempt in range(1, attempts):
        try:
            return await call()
        except RetryAfter as error:
            pause = retry_after_seconds(error)
            log.warning("Telegram flood control: waiting %.0f s (attempt %d of %d)", pause, attempt, attempts)
            await asyncio.sleep(pause)
    return await call()
