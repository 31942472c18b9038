"""Pages and assistance requests on Telegram: the synchronous Notifier the escalation worker calls,
talking to a loopback stand-in for the Bot API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from puente.bot.telegram.notifier import TelegramNotifier
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.notify import Action, DeliveryError, DeliveryUnknown, Notice, Recipient
from tests.conftest import make_runtime
from tests.telegram_standin import SECRET, TOKEN, BotApiStandIn, free_port

PAGE = Notice(
    text="🚨 Page: INC-2026-0007 is critical and unacknowledged",
    fields=(("Ticket", "INC-2026-0007 Ransomware at the port"), ("Step", "1 of 3")),
    actions=(
        Action("Acknowledge", "ack INC-2026-0007", "primary"),
        Action("Escalate", "escalate INC-2026-0007", "danger"),
    ),
    ticket="INC-2026-0007",
)
ACKED = Notice(text="✅ Page for INC-2026-0007 acknowledged by ana", ticket="INC-2026-0007")
ANA = Recipient("ana", {"telegram": "1001"})


def notifier_for(
    url: str, database_url: str, clock: ManualClock, tmp_path: Path, attempts: int = 2, **options: float
) -> TelegramNotifier:
    settings = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_URL": url}
    runtime: Runtime = make_runtime(database_url, clock, tmp_path, **settings)
    return TelegramNotifier(runtime, attempts, **options)


@pytest.fixture
def notifier(api: BotApiStandIn, database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[TelegramNotifier]:
    notifier = notifier_for(api.url, database_url, clock, tmp_path)
    yield notifier
    notifier.close()
    notifier.runtime.engine.dispose()


def in_worker_thread(call):  # type: ignore[no-untyped-def]
    """Run as the escalation timer does: from a plain thread, no event loop of its own."""
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(_capture(call)))
    thread.start()
    thread.join(30)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _capture(call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except BaseException as error:  # handed back to the test thread
        return error


def test_page_goes_to_the_recipients_chat_and_is_edited_in_place_once_acknowledged(
    notifier: TelegramNotifier, api: BotApiStandIn
) -> None:
    assert notifier.can_reach(ANA) and not notifier.can_reach(Recipient("beto", {"slack": "U0BETO"}))
    handle = in_worker_thread(lambda: notifier.send(ANA, PAGE))
    sent = api.of("sendMessage")[0]
    assert handle == f"1001:{sent.message_id}"
    assert sent.params["chat_id"] == "1001" and sent.params["parse_mode"] == "HTML"
    assert sent.text.startswith("<b>🚨 Page: INC-2026-0007 is critical and unacknowledged</b>")
    assert "<b>Step: </b>1 of 3" in sent.text
    assert [k["text"] for k in sent.keyboard[0]] == ["Acknowledge", "Escalate"]
    assert all(len(k["callback_data"].encode()) <= 64 for k in sent.keyboard[0])

    in_worker_thread(lambda: notifier.update(ANA, handle, ACKED))
    edit = api.of("editMessageText")[0]
    assert (edit.params["chat_id"], edit.message_id) == ("1001", sent.message_id)
    assert edit.text == "<b>✅ Page for INC-2026-0007 acknowledged by ana</b>"
    assert "reply_markup" not in edit.params  # the buttons go away with the edit


def test_flood_control_is_waited_out_and_the_page_still_arrives(notifier: TelegramNotifier, api: BotApiStandIn) -> None:
    api.flood("sendMessage", retry_after=1)
    handle = in_worker_thread(lambda: notifier.send(ANA, PAGE))
    assert [c.method for c in api.calls] == ["getMe", "sendMessage (429)", "sendMessage"]
    assert handle == f"1001:{api.of('sendMessage')[0].message_id}"


def test_persistent_flood_control_is_a_delivery_error_so_the_caller_keeps_the_page(
    notifier: TelegramNotifier, api: BotApiStandIn
) -> None:
    api.flood("sendMessage", retry_after=1, times=2)  # as often as the notifier tries
    with pytest.raises(DeliveryError, match="Telegram flood control: retry in 1 s"):
        in_worker_thread(lambda: notifier.send(ANA, PAGE))
    assert api.of("sendMessage") == []
    # The escalation worker retries the delivery later; this time Telegram takes it.
    in_worker_thread(lambda: notifier.send(ANA, PAGE))
    assert len(api.of("sendMessage")) == 1


def test_recipient_without_telegram_id_and_bad_handles_are_delivery_errors(notifier: TelegramNotifier) -> None:
    with pytest.raises(DeliveryError, match="beto has no Telegram id"):
        notifier.send(Recipient("beto", {"slack": "U0BETO"}), PAGE)
    with pytest.raises(DeliveryError, match="not a Telegram message handle"):
        notifier.update(ANA, "console:3", ACKED)


def test_editing_to_the_same_words_is_not_a_failure(notifier: TelegramNotifier, api: BotApiStandIn) -> None:
    handle = notifier.send(ANA, ACKED)
    api.refuse(
        "editMessageText",
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same",
    )
    notifier.update(ANA, handle, ACKED)


def test_unreachable_telegram_is_a_delivery_error(sqlite_url: str, clock: ManualClock, tmp_path: Path) -> None:
    notifier = notifier_for(f"http://127.0.0.1:{free_port()}/bot", sqlite_url, clock, tmp_path)
    try:
        with pytest.raises(DeliveryError, match="Telegram could not be reached"):
            notifier.send(ANA, PAGE)
    finally:
        notifier.close()


def test_a_slow_answer_is_a_delivered_page_and_no_answer_at_all_is_an_unknown_outcome(
    api: BotApiStandIn, sqlite_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    api.slow["sendMessage"] = 1.0
    patient = notifier_for(api.url, sqlite_url, clock, tmp_path)
    hasty = notifier_for(api.url, sqlite_url, clock, tmp_path, answer_seconds=0.3)
    try:
        assert in_worker_thread(lambda: patient.send(ANA, PAGE)) == "1001:5001"  # Telegram slow, page delivered
        # No answer in time: maybe delivered, so not a refusal to try again.
        with pytest.raises(DeliveryUnknown, match="did not answer within 0.3 s"):
            in_worker_thread(lambda: hasty.send(ANA, PAGE))
        assert len(api.of("sendMessage")) == 2
    finally:
        for notifier in (patient, hasty):
            notifier.close()
            notifier.runtime.engine.dispose()
