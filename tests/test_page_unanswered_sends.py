"""A page whose send gets no answer from the chat platform: it may or may not have arrived. On Slack the
escalation worker looks for it and sends it only if it is absent; a Telegram bot cannot read its chats,
so the page goes once more, marked as a possible repeat, and never a third time. Against loopback
stand-ins that record the message and swallow the answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from puente.bot.slack.notifier import SlackNotifier
from puente.bot.telegram.notifier import TelegramNotifier
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.escalation import scheduled as escalation_worker
from puente.services.users import service as users
from puente.storage import pages as page_store
from puente.storage.models import Role
from puente.storage.pages import DeliveryStatus
from tests.conftest import make_runtime
from tests.paging import say, write_policy
from tests.slack_api import SlackStandIn
from tests.telegram_standin import SECRET, TOKEN, BotApiStandIn, bot_api

POLICY = """
[policies.critical]
[[policies.critical.steps]]
user = "bob"
wait_minutes = 5
"""
# Long enough for a loaded machine to answer a call that is answered; the withheld ones never are.
ANSWER_SECONDS = 3


def _team(runtime: Runtime) -> None:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
        users.add(ctx, "bob", Role.ONCALL, addresses={"slack": "U0BOB", "telegram": "1002"})


def _deliveries(runtime: Runtime) -> list[page_store.PageDelivery]:
    with runtime.unit_of_work() as ctx:
        return page_store.deliveries(ctx.session, 1)


@pytest.fixture
def on_slack(
    database_url: str, clock: ManualClock, tmp_path: Path, slack: SlackStandIn
) -> Iterator[tuple[Runtime, SlackStandIn]]:
    runtime = make_runtime(
        database_url, clock, tmp_path, PUENTE_ESCALATION_POLICIES=str(write_policy(tmp_path, POLICY))
    )
    client = WebClient(token="xoxb-puente-test", base_url=slack.api_url, timeout=ANSWER_SECONDS)
    runtime.notifiers.append(SlackNotifier(client))
    _team(runtime)
    yield runtime, slack
    runtime.engine.dispose()


@pytest.fixture
def telegram(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[tuple[Runtime, BotApiStandIn]]:
    with bot_api() as api:
        runtime = make_runtime(
            database_url,
            clock,
            tmp_path,
            PUENTE_ESCALATION_POLICIES=str(write_policy(tmp_path, POLICY)),
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_API_URL=api.url,
        )
        notifier = TelegramNotifier(runtime, answer_seconds=ANSWER_SECONDS)
        runtime.notifiers.append(notifier)
        _team(runtime)
        yield runtime, api
        notifier.close()
        runtime.engine.dispose()


@pytest.mark.parametrize("arrived", [True, False], ids=["posted", "lost-on-the-way"])
def test_slack_page_without_an_answer_is_looked_for_and_bob_gets_exactly_one(
    on_slack: tuple[Runtime, SlackStandIn], clock: ManualClock, arrived: bool, caplog: pytest.LogCaptureFixture
) -> None:
    runtime, slack = on_slack
    slack.withhold_answer("chat.postMessage", applied=arrived)
    assert say(runtime, "ana", "/incident new Ransomware at the port sev=critical").ok
    with caplog.at_level(logging.WARNING):
        escalation_worker.tick(runtime)
    [said] = caplog.records  # once, by Puente, with what comes next: no ERROR from slack_sdk for an expected outcome
    assert (said.name, said.levelname) == ("puente.services.escalation.scheduled", "WARNING")
    assert said.getMessage() == (
        "page message 1 to bob over slack (INC-2026-0001): Slack did not answer within 3 s; it may have arrived: "
        "in 15 s it is looked for there and sent again only if it is absent"
    )
    [delivery] = _deliveries(runtime)
    assert delivery.status == DeliveryStatus.UNCONFIRMED and "did not answer" in (delivery.error or "")
    escalation_worker.tick(runtime)
    assert len(slack.of("chat.postMessage")) == 1 and slack.of("conversations.history") == [], "nothing blind"

    clock.advance(escalation_worker.CHECK_AFTER)
    escalation_worker.tick(runtime)
    [history] = slack.of("conversations.history")
    assert history.params["channel"] == "D0BOB" and history.params["include_all_metadata"] == "1"
    assert len(slack.of("chat.postMessage")) == (1 if arrived else 2)
    [message] = slack.history["D0BOB"]  # what bob sees: one page
    assert message["text"].startswith("Page P1 for INC-2026-0001")
    [delivery] = _deliveries(runtime)
    assert delivery.status == DeliveryStatus.SENT and delivery.handle == f"D0BOB:{message['ts']}"

    # The page found (or sent) is the one updated once bob takes it.
    assert say(runtime, "bob", "/incident ack P1").ok
    escalation_worker.tick(runtime)
    [update] = slack.of("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("D0BOB", message["ts"])
    clock.advance(escalation_worker.RETRY_DELAYS[-1] * 3)
    escalation_worker.tick(runtime)
    assert len(slack.history["D0BOB"]) == 1


def test_slack_check_reads_the_history_page_by_page(on_slack: tuple[Runtime, SlackStandIn], clock: ManualClock) -> None:
    runtime, slack = on_slack
    slack.withhold_answer("chat.postMessage")
    assert say(runtime, "ana", "/incident new Ransomware sev=critical").ok
    escalation_worker.tick(runtime)
    # 250 later messages in bob's DM: the page is on the history's second page.
    slack.history["D0BOB"] += [
        {"type": "message", "text": f"chatter {n}", "ts": f"1700000001.{n:06d}"} for n in range(250)
    ]
    clock.advance(escalation_worker.CHECK_AFTER)
    escalation_worker.tick(runtime)
    assert len(slack.of("conversations.history")) == 2
    assert len(slack.of("chat.postMessage")) == 1
    [delivery] = _deliveries(runtime)
    assert delivery.status == DeliveryStatus.SENT and delivery.handle == "D0BOB:1700000000.000001"


def test_telegram_page_without_an_answer_is_sent_once_more_marked_as_a_possible_repeat(
    telegram: tuple[Runtime, BotApiStandIn], clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    runtime, api = telegram
    api.withhold_answer("sendMessage")
    assert say(runtime, "ana", "/incident new Ransomware at the port sev=critical").ok
    with caplog.at_level(logging.WARNING):
        escalation_worker.tick(runtime)
    [said] = caplog.records
    assert said.levelname == "WARNING" and said.getMessage().endswith(
        "it may have arrived: in 15 s it is sent once more, marked as a possible repeat"
    )
    [delivery] = _deliveries(runtime)
    assert delivery.status == DeliveryStatus.UNCONFIRMED
    escalation_worker.tick(runtime)
    assert len(api.of("sendMessage")) == 1

    clock.advance(escalation_worker.CHECK_AFTER)
    escalation_worker.tick(runtime)
    first, second = api.of("sendMessage")
    assert "Sent again" not in first.text
    assert "<b>Sent again: </b>" in second.text and "if you already saw this page, it is the same one" in second.text
    assert second.text.startswith(first.text.split("\n")[0])  # the same page
    [delivery] = _deliveries(runtime)
    assert delivery.status == DeliveryStatus.SENT and delivery.handle == f"1002:{second.message_id}"
    clock.advance(escalation_worker.RETRY_DELAYS[-1] * 3)
    escalation_worker.tick(runtime)
    assert len(api.of("sendMessage")) == 2


def test_telegram_repeats_a_page_once_even_when_the_repeat_goes_unanswered_too(
    telegram: tuple[Runtime, BotApiStandIn], clock: ManualClock
) -> None:
    runtime, api = telegram
    api.withhold_answer("sendMessage", times=2)
    assert say(runtime, "ana", "/incident new Ransomware sev=critical").ok
    escalation_worker.tick(runtime)
    for _ in range(4):
        clock.advance(escalation_worker.CHECK_AFTER + escalation_worker.RETRY_DELAYS[-1])
        escalation_worker.tick(runtime)
    assert len(api.of("sendMessage")) == 2
    [delivery] = _deliveries(runtime)
    assert delivery.status == DeliveryStatus.UNKNOWN  # maybe reached: not failed, so the chain keeps its pace


@pytest.mark.parametrize("arrived", [True, False], ids=["posted", "lost-on-the-way"])
def test_slack_page_taken_before_its_check_is_looked_for_only_to_be_updated(
    on_slack: tuple[Runtime, SlackStandIn], clock: ManualClock, arrived: bool
) -> None:
    runtime, slack = on_slack
    slack.withhold_answer("chat.postMessage", applied=arrived)
    assert say(runtime, "ana", "/incident new Ransomware at the port sev=critical").ok
    escalation_worker.tick(runtime)
    assert say(runtime, "bob", "/incident ack INC-2026-0001").ok  # he saw it, or heard of it otherwise
    clock.advance(escalation_worker.CHECK_AFTER)
    escalation_worker.tick(runtime)
    escalation_worker.tick(runtime)
    assert len(slack.of("chat.postMessage")) == 1, "a page nobody needs is not sent again"
    [page_message] = _deliveries(runtime)[:1]
    if arrived:
        [message] = slack.history["D0BOB"]
        [update] = slack.of("chat.update")
        assert (update.params["ts"], page_message.status) == (message["ts"], DeliveryStatus.SENT)
        assert update.params["text"].startswith("Page P1 for INC-2026-0001: taken by bob")
    else:
        assert "D0BOB" not in slack.history and slack.of("chat.update") == []
        assert page_message.status == DeliveryStatus.CANCELLED


def test_telegram_page_taken_before_its_repeat_is_not_repeated(
    telegram: tuple[Runtime, BotApiStandIn], clock: ManualClock
) -> None:
    runtime, api = telegram
    api.withhold_answer("sendMessage")
    assert say(runtime, "ana", "/incident new Ransomware sev=critical").ok
    escalation_worker.tick(runtime)
    assert say(runtime, "bob", "/incident ack INC-2026-0001").ok
    clock.advance(escalation_worker.CHECK_AFTER)
    escalation_worker.tick(runtime)
    assert len(api.of("sendMessage")) == 1
    [delivery] = _deliveries(runtime)
    assert delivery.status == DeliveryStatus.UNKNOWN
