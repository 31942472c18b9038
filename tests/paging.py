"""Test doubles and set-up shared by the escalation tests: a notifier that records what people would see."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.bot.replies import Reply
from puente.services.context import Runtime
from puente.services.notify import DeliveryError, DeliveryUnknown, Notice, Recipient
from puente.services.users import service as users
from puente.storage.models import Role

CHAIN_POLICY = """
[channels.soc]
slack = "C0SOC"

[policies.critical]
repeat = 1

[[policies.critical.steps]]
user = "bob"
wait_minutes = 5

[[policies.critical.steps]]
user = "carla"
wait_minutes = 5

[[policies.critical.steps]]
channel = "soc"
wait_minutes = 5

[policies.high]
repeat = 2

[[policies.high.steps]]
rotation = "primary"
wait_minutes = 5
"""


@dataclass
class RecordingNotifier:
    """Delivers into lists: `sent` holds (recipient, notice) as the person would receive them."""

    platform: str = "test"
    refuse: set[str] = field(default_factory=set)  # recipients whose deliveries fail
    refuse_times: int | None = None  # fail only this many times in all, then deliver
    unanswered: set[str] = field(default_factory=set)  # recipients whose platform never answers in time
    sent: list[tuple[str, Notice]] = field(default_factory=list)
    updates: list[tuple[str, str, Notice]] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def can_reach(self, recipient: Recipient) -> bool:
        return True

    def send(self, recipient: Recipient, notice: Notice) -> str:
        with self.lock:
            self.attempts += 1
            if recipient.name in self.unanswered:
                raise DeliveryUnknown(f"no answer in time for the message to {recipient.name}")
            if recipient.name in self.refuse and (self.refuse_times is None or self.refuse_times > 0):
                if self.refuse_times is not None:
                    self.refuse_times -= 1
                raise DeliveryError(f"chat platform refused the message to {recipient.name}")
            self.sent.append((recipient.name, notice))
            return f"msg-{len(self.sent)}"

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        with self.lock:
            self.updates.append((recipient.name, handle, notice))

    def texts_to(self, name: str) -> list[str]:
        return [notice.text for who, notice in self.sent if who == name]

    def recipients(self) -> list[str]:
        return [who for who, _ in self.sent]


def one_page_policy(user: str) -> str:
    """An escalation policy where a critical ticket pages `user`, once, with five minutes to acknowledge."""
    return f'[policies.critical]\nrepeat = 1\n\n[[policies.critical.steps]]\nuser = "{user}"\nwait_minutes = 5\n'


def write_policy(tmp_path: Path, text: str = CHAIN_POLICY) -> Path:
    path = tmp_path / "policies.toml"
    path.write_text(text, encoding="utf-8")
    return path


def add_team(runtime: Runtime) -> None:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST, timezone="America/Bogota")
        users.add(ctx, "bob", Role.ONCALL, addresses={"slack": "U0BOB"})
        users.add(ctx, "carla", Role.ONCALL, timezone="Europe/Madrid")
        users.add(ctx, "dora", Role.LEAD)


def say(runtime: Runtime, user: str, text: str) -> Reply:
    return CommandCore(runtime).handle(Command(text=text, platform="console", user_id=user))
