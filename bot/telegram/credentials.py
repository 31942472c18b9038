"""Whether Telegram accepts the bot token (`puente doctor`)."""

from __future__ import annotations

import httpx

from puente.settings import Settings


class TokenRefused(Exception):
    """The platform did not accept the token; the message says what it answered."""


def verify_token(settings: Settings) -> str:
    """Which bot the token belongs to, as getMe answers at TELEGRAM_API_URL."""
    response = httpx.post(f"{settings.telegram_api_url}{settings.telegram_bot_token}/getMe", timeout=10)
    answer = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code != 200 or not answer.get("ok"):
        raise TokenRefused(f"Telegram answered {response.status_code} {answer.get('description', '')}".strip())
    return f"bot @{answer['result'].get('username')}"
