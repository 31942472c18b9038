"""Pages and assistance requests as Slack DMs, updated in place once answered."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from puente.bot.slack import PLATFORM
from puente.bot.slack.app import api_url
from puente.bot.slack.blocks import render_notice
from puente.services.notify import DeliveryError, DeliveryUnknown, Notice, Recipient
from puente.settings import Settings

# A slow but working Web API is not a failure: wait this long for its answer.
ANSWER_SECONDS = 30


@dataclass
class SlackNotifier:
    """`services.notify.Notifier` for Slack: send = chat.postMessage to the recipient's Slack address (a
    user id, for the app's DM with them, or a channel id), returning "channel:ts"; update = chat.update
    of that message."""

    client: WebClient
    platform: str = field(default=PLATFORM)

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackNotifier:
        return cls(WebClient(token=settings.slack_bot_token, base_url=api_url(settings), timeout=ANSWER_SECONDS))

    def can_reach(self, recipient: Recipient) -> bool:
        return bool(recipient.address_on(self.platform))

    def send(self, recipient: Recipient, notice: Notice) -> str:
        address = recipient.address_on(self.platform)
        if not address:
            raise DeliveryError(f"{recipient.name} has no Slack id: puente users add … --slack U…")
        message = render_notice(notice)
        try:
            response = self.client.chat_postMessage(channel=address, text=message["text"], blocks=message["blocks"])
        except TimeoutError as error:
            # Raised while reading the answer (a timeout while connecting arrives wrapped in a URLError):
            # the message went out and may have been posted.
            raise DeliveryUnknown(f"Slack did not answer within {ANSWER_SECONDS} s") from error
        except (SlackApiError, SlackClientError, OSError) as error:
            raise DeliveryError(f"Slack refused the message to {recipient.name}: {error}") from error
        return f"{response['channel']}:{response['ts']}"

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        channel, _, ts = handle.partition(":")
        if not channel or not re.fullmatch(r"\d+\.\d+", ts):
            raise DeliveryError(f"Not a Slack message handle: {handle!r} (expected channel:ts).")
        message = render_notice(notice)
        try:
            self.client.chat_update(channel=channel, ts=ts, text=message["text"], blocks=message["blocks"])
        except (SlackApiError, SlackClientError, OSError) as error:
            raise DeliveryError(f"Slack refused to update the message to {recipient.name}: {error}") from error
