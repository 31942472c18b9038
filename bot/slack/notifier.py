"""Pages and assistance requests as Slack DMs, updated in place once answered."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from puente.bot.slack import PLATFORM
from puente.bot.slack.app import api_url
from puente.bot.slack.blocks import render_notice
from puente.services.notify import DeliveryError, DeliveryUnknown, Notice, Recipient
from puente.settings import Settings

# A slow but working Web API is not a failure: wait this long for its answer.
ANSWER_SECONDS = 30
# A page message carries its Notice's key in Slack's message metadata, under this event type, so that a
# send whose answer never came can be looked for in the conversation's history.
KEY_EVENT = "puente_page_message"
# How far before the unanswered send a check looks: the send's own wait, and clocks that disagree a little.
LOOK_BACK = timedelta(seconds=ANSWER_SECONDS + 300)

# slack_sdk logs every request that fails at ERROR before raising it. A send that got no answer in time is an
# outcome Puente expects (DeliveryUnknown: the escalation worker logs it at WARNING, with what it does next),
# so slack_sdk's line for it is dropped; every other failure it logs stays.
_SENDING: ContextVar[bool] = ContextVar("puente_slack_sending", default=False)


class _UnansweredSends(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # slack_sdk logs from inside its `except`: the exception being handled is the one it logs.
        return not (_SENDING.get() and isinstance(sys.exc_info()[1], TimeoutError))


_UNANSWERED_SENDS = _UnansweredSends()


@contextmanager
def _sending() -> Iterator[None]:
    token = _SENDING.set(True)
    try:
        yield
    finally:
        _SENDING.reset(token)


@dataclass
class SlackNotifier:
    """`services.notify.Notifier` for Slack: send = chat.postMessage to the recipient's Slack address (a
    user id, for the app's DM with them, or a channel id), returning "channel:ts"; update = chat.update
    of that message. Also `services.notify.SentMessages`: find_sent reads the conversation's history
    for the message carrying a Notice's key in its metadata."""

    client: WebClient
    platform: str = field(default=PLATFORM)

    def __post_init__(self) -> None:
        self.client.logger.addFilter(_UNANSWERED_SENDS)  # once per logger, however many notifiers share it

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
        metadata = {"event_type": KEY_EVENT, "event_payload": {"key": notice.key}} if notice.key else None
        try:
            with _sending():
                response = self.client.chat_postMessage(
                    channel=address, text=message["text"], blocks=message["blocks"], metadata=metadata
                )
        except TimeoutError as error:
            # Raised while reading the answer (a timeout while connecting arrives wrapped in a URLError):
            # the message went out and may have been posted.
            raise DeliveryUnknown(f"Slack did not answer within {self.client.timeout:g} s") from error
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

    def find_sent(self, recipient: Recipient, key: str, since: datetime) -> str | None:
        """The "channel:ts" of the message with this key posted to the recipient from `since` on, or None."""
        address = recipient.address_on(self.platform)
        if not address:
            raise DeliveryError(f"{recipient.name} has no Slack id: puente users add … --slack U…")
        try:
            channel = address
            if address[0] in "UW":  # a person: what was sent to them is in the app's DM with them
                channel = self.client.conversations_open(users=address)["channel"]["id"]
            oldest = f"{(since - LOOK_BACK).timestamp():.6f}"
            cursor = None
            while True:
                history = self.client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                )
                for message in history.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    if (
                        metadata.get("event_type") == KEY_EVENT
                        and (metadata.get("event_payload") or {}).get("key") == key
                    ):
                        return f"{channel}:{message['ts']}"
                cursor = (history.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
        except (SlackApiError, SlackClientError, OSError) as error:
            raise DeliveryError(
                f"Slack could not say whether the message to {recipient.name} arrived: {error}"
            ) from error
