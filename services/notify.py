"""Reaching people outside a conversation: pages, assistance requests, reminders.

Services decide *who* is told *what*; each chat adapter implements `Notifier` to say it on its
platform (Slack DM, Telegram message, console print). A Notice is platform-neutral, like a Reply.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from puente import i18n

# Characters that change how text is shown instead of being shown: bidirectional overrides and
# isolates (which can make "LCAR" read as "RACL"), and zero-width joiners and spaces.
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)


def printable(text: str) -> str:
    """Text a person or a peer wrote, as it may be shown: line breaks of every kind become "\\n" and
    other control characters (a terminal's escape sequences, a carriage return that overwrites
    what came before) and invisible formatting characters are dropped."""
    lines = text.splitlines()
    return "\n".join(
        "".join(ch for ch in line if ch not in _INVISIBLE and (ch == "\t" or unicodedata.category(ch) != "Cc"))
        for line in lines
    )


def single_line(text: str) -> str:
    """Text a person or a peer wrote, for a place that holds one line (a title, a field, a summary):
    it cannot start a line of its own, so it can never pass for one Puente wrote."""
    return " ".join(part.strip() for part in printable(text).split("\n") if part.strip())


def quoted(text: str) -> str:
    """Several lines a person or a peer wrote, each marked as theirs ("> …"), so none of them can
    pass for a line or a field Puente wrote."""
    return "\n".join(f"> {line}" for line in printable(text).split("\n"))


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
    # Names this message among everything Puente sends, so a platform that can read back what it sent
    # (`SentMessages`) can tell whether a send whose answer never came arrived.
    key: str | None = None
    # The language it was written in (its recipient's): the adapter says what it adds (a prefix, a
    # "shortened" note, a confirm dialog) in the same language.
    language: str = field(default_factory=i18n.current)


# How a Notifier names its platform, and so how people's and rooms' addresses are keyed: "slack", "telegram".
PLATFORM_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person or a chat room, and their address on each platform that knows them.

    A platform is named as its Notifier names itself; e.g. {"slack": "U024BE7LH", "telegram": "123456789"}.
    """

    name: str
    addresses: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def at(cls, name: str, platform: str, address: str | None) -> Recipient:
        """Someone known by one address on one platform (or by name alone), as a page delivery remembers them."""
        return cls(name, {platform: address} if address else {})

    def address_on(self, platform: str) -> str | None:
        return self.addresses.get(platform)


class DeliveryError(Exception):
    """The platform refused or could not be reached; the caller decides whether to retry."""


class DeliveryUnknown(DeliveryError):
    """The platform did not answer in time: the message may or may not have arrived.

    Sending it again blindly could page the person twice: the caller checks for it where the platform
    can (`SentMessages`), and elsewhere sends it once more marked as a possible repeat.
    """


class Notifier(Protocol):
    platform: str

    def can_reach(self, recipient: Recipient) -> bool:
        """Whether this platform knows an address for the recipient (`recipient.address_on(platform)`)."""
        ...

    def send(self, recipient: Recipient, notice: Notice) -> str:
        """Deliver; return a handle (e.g. channel and message id) to update the message later."""
        ...

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        """Replace a delivered message in place (e.g. once a page is acknowledged)."""
        ...


@runtime_checkable
class SentMessages(Protocol):
    """What a Notifier offers when its platform lets it read back what it sent (Slack does; a Telegram
    bot cannot read its chats): a send whose outcome is unknown is then checked, not repeated."""

    def find_sent(self, recipient: Recipient, key: str, since: datetime) -> str | None:
        """The handle of the message sent to `recipient` from `since` on whose Notice had `key`, or None if
        none arrived; raises DeliveryError when the platform cannot be asked."""
        ...
