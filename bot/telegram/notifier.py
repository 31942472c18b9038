"""Pages and assistance requests as Telegram messages, edited in place once answered.

The Notifier interface is synchronous: the escalation worker calls it from its own thread. The
notifier therefore owns a private event loop on a dedicated thread, with its own Bot (and so its
own HTTP connection pool), and waits on each coroutine with `run_coroutine_threadsafe`. Borrowing
the Application's loop instead would tie paging to the web server (no pages from `puente say` or
a worker started before the loop), and a call made from that loop's own thread would deadlock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import Any, TypeVar

import httpx
from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from puente.bot.telegram import PLATFORM
from puente.bot.telegram.app import file_base_url
from puente.bot.telegram.flood import ATTEMPTS, obeying_flood_control, retry_after_seconds
from puente.bot.telegram.render import TelegramMessage, render, render_single, reply_of, stored_buttons
from puente.services.context import Runtime
from puente.services.notify import DeliveryError, DeliveryUnknown, Notice, Recipient

T = TypeVar("T")

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # a URL observable must not be fetched by Telegram
# The Bot API can take several seconds to answer under load; the library's 5 s would call a delivered page failed.
ANSWER_SECONDS = 30.0


class TelegramNotifier:
    """services.notify.Notifier over the Bot API: a message to the recipient's private chat with the bot."""

    platform = PLATFORM

    def __init__(self, runtime: Runtime, attempts: int = ATTEMPTS, answer_seconds: float = ANSWER_SECONDS) -> None:
        """`attempts`: how many times one message is tried under flood control before the caller hears of it;
        `answer_seconds`: how long to wait for the Bot API's answer before the outcome is unknown."""
        settings = runtime.settings
        self.runtime = runtime
        self.attempts = attempts
        self.answer_seconds = answer_seconds
        self._bot = Bot(
            settings.telegram_bot_token,
            base_url=settings.telegram_api_url,
            base_file_url=file_base_url(settings.telegram_api_url),
            request=HTTPXRequest(read_timeout=answer_seconds, write_timeout=answer_seconds),
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="telegram-notifier", daemon=True)
        self._thread.start()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.address_on(self.platform))

    def send(self, recipient: Recipient, notice: Notice) -> str:
        """Send to the recipient's chat; the handle is "chat_id:message_id" of the part with the buttons."""
        chat_id = self._chat(recipient)
        with self.runtime.unit_of_work() as ctx:
            parts = render(reply_of(notice), stored_buttons(ctx))
        sent: list[Message] = []
        for part in parts:
            post = partial(
                self._bot.send_message,
                chat_id,
                part.html,
                parse_mode=ParseMode.HTML,
                reply_markup=part.keyboard,
                link_preview_options=NO_PREVIEW,
            )
            sent.append(self._deliver(post))
        return f"{chat_id}:{sent[-1].message_id}"

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        """Edit the delivered message in place: new text, and the keyboard the notice now has (often none)."""
        chat_id, _, message_id = handle.partition(":")
        if not chat_id.lstrip("-").isdigit() or not message_id.isdigit():
            raise DeliveryError(f"not a Telegram message handle: {handle!r} (expected chat_id:message_id)")
        with self.runtime.unit_of_work() as ctx:
            part: TelegramMessage = render_single(reply_of(notice), stored_buttons(ctx))
        try:
            edit = partial(
                self._bot.edit_message_text,
                part.html,
                chat_id=chat_id,
                message_id=int(message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=part.keyboard,
                link_preview_options=NO_PREVIEW,
            )
            self._deliver(edit)
        except DeliveryError as error:
            # Updating twice to the same words is success, not failure.
            if "message is not modified" not in str(error).lower():
                raise

    def close(self) -> None:
        try:
            self._call(self._bot.shutdown())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()

    def _chat(self, recipient: Recipient) -> str:
        chat_id = recipient.address_on(self.platform)
        if not chat_id:
            raise DeliveryError(f"{recipient.name} has no Telegram id: puente users add … --telegram ID")
        return chat_id

    def _deliver(self, call: Callable[[], Awaitable[T]]) -> T:
        """One Bot API call with flood control; anything Telegram refuses becomes a DeliveryError,
        so the caller keeps the page and tries again later rather than losing it."""

        async def attempt() -> T:
            await self._bot.initialize()  # once: getMe proves the token; later calls return at once
            return await obeying_flood_control(call, self.attempts)

        try:
            return self._call(attempt())
        except RetryAfter as error:
            raise DeliveryError(f"Telegram flood control: retry in {retry_after_seconds(error):.0f} s") from error
        except BadRequest as error:
            raise DeliveryError(f"Telegram refused the message: {error.message}") from error
        except TimedOut as error:
            if isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout):
                raise DeliveryError(f"Telegram could not be reached: {error}") from error
            # The request went out but no answer came: it may have been delivered.
            raise DeliveryUnknown(f"Telegram did not answer within {self.answer_seconds:g} s") from error
        except TelegramError as error:
            raise DeliveryError(f"Telegram could not be reached: {error}") from error
