"""Whether Slack accepts the bot token (`puente doctor`)."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from puente.settings import Settings


class TokenRefused(Exception):
    """The platform did not accept the token; the message says what it answered."""


def verify_token(settings: Settings) -> str:
    """Who the bot token belongs to, as Slack's auth.test answers at SLACK_API_URL."""
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        raise TokenRefused(f"Slack answered {error.response.get('error', 'an error')}") from None
    return f"bot user {answer.get('user_id')} in workspace {answer.get('team')}"
