"""Telegram inside `puente run`: the /telegram/webhook endpoint, or long polling, for the app's lifetime."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Request, Response
from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from puente.bot.telegram.app import ALLOWED_UPDATES, build_application
from puente.services.context import Runtime
from puente.settings import SettingsError

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramStartError(RuntimeError):
    """The bot could not start: a wrong token or an unreachable Bot API; the message says which."""


class TelegramService:
    """The PTB Application and how updates reach it, as settings choose (TELEGRAM_MODE)."""

    def __init__(self, runtime: Runtime, application: Application | None = None) -> None:  # type: ignore[type-arg]
        settings = runtime.settings
        self.polling = settings.telegram_mode == "polling"
        self.secret = settings.telegram_webhook_secret
        if not self.polling and not self.secret:
            raise SettingsError(
                "TELEGRAM_WEBHOOK_SECRET: required with TELEGRAM_MODE=webhook, so Puente can tell Telegram's posts"
                " from anyone else's (e.g. `openssl rand -hex 32`); or set TELEGRAM_MODE=polling for development"
            )
        # Telegram delivers only to https; behind a plain-http base the operator sets the webhook by hand.
        public = settings.base_url.startswith("https://")
        self.webhook_url = f"{settings.base_url.rstrip('/')}{WEBHOOK_PATH}" if public else None
        self.application = application or build_application(runtime, polling=self.polling)

    def router(self) -> APIRouter:
        """The webhook endpoint; polling mode has none."""
        router = APIRouter()
        if self.polling:
            return router

        @router.post(WEBHOOK_PATH, include_in_schema=False)
        async def telegram_webhook(request: Request) -> Response:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.secret.encode()):
                return Response("wrong or missing secret token", status_code=403)
            try:
                update = Update.de_json(await request.json(), self.application.bot)
            except (ValueError, TypeError, KeyError, AttributeError):
                return Response("not a Telegram update", status_code=400)
            # Handled before answering, so Telegram's own max_connections bounds the work in flight.
            await self.application.process_update(update)
            return Response(status_code=200)

        return router

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        application = self.application
        try:
            await application.initialize()  # getMe: learns the bot's @name for /incident@BotName
        except InvalidToken:
            # PTB's own message quotes the token; the log must not.
            raise TelegramStartError("Telegram rejected TELEGRAM_BOT_TOKEN: copy it again from @BotFather.") from None
        except TelegramError as error:
            raise TelegramStartError(f"Telegram's Bot API at TELEGRAM_API_URL could not be reached: {error}") from None
        try:
            if self.polling:
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            elif self.webhook_url:
                await self._register_webhook()
            await application.start()
            try:
                yield
            finally:
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
                await application.stop()
        finally:
            await application.shutdown()

    async def _register_webhook(self) -> None:
        assert self.webhook_url is not None
        try:
            await self.application.bot.set_webhook(
                self.webhook_url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES
            )
            log.info("Telegram webhook set to %s", self.webhook_url)
        except TelegramError as error:
            # Serving goes on: an operator can set the webhook by hand, and everything else works meanwhile.
            log.warning("could not set the Telegram webhook to %s: %s", self.webhook_url, error)
