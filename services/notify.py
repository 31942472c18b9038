"""Reaching people outside a conversation: pages, assistance requests, reminders.

Services decide *who* is told *what*; each chat adapter implements `Notifier` to say it on its
platform (Slack DM, Telegram message, console print). A Notice is platform-neutral, like a Reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from puente.storage.models import User


@dataclass(frozen=True, slots=True)
class Action:
    """A button on a notice; pressing it runs `command` (an /incident command line) as the presser."""

    label: str
    command: str
    style: str = "default"  # default | primary | danger


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    fields: tuple[tuple[str, str], ...] = ()
    actions: tuple[Action, ...] = ()
    ticket: str | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    name: str
    slack_id: str | None = None
    telegram_id: str | None = None

    @classmethod
    def of(cls, user: User) -> Recipient:
        return cls(user.name, user.slack_id, user.telegram_id)


class DeliveryError(Exception):
    """The platform refused or could not be reached; the caller decides whether to retry."""


class Notifier(Protocol):
    platform: str

    def can_reach(self, recipient: Recipient) -> bool:
        """Whether this platform knows an address for the recipient."""
        ...

    def send(self, recipient: Recipient, notice: Notice) -> str:
        """Deliver; return a handle (e.g. channel and message id) to update the message later."""
        ...

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        """Replace a delivered message in place (e.g. once a page is acknowledged)."""
        ...
