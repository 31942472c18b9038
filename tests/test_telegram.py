"""Telegram through python-telegram-bot's real pipeline: Updates posted to Puente's webhook, the
Bot API played by a loopback stand-in that records what the bot said."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from puente.bot.core import CommandCore
from puente.bot.handlers import default_registry
from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Button, Reply
from puente.bot.telegram.app import build_application
from puente.bot.telegram.render import CALLBACK_DATA_LIMIT, MESSAGE_LIMIT, telegram_length
from puente.bot.telegram.webhook import TelegramService, TelegramStartError
from puente.i18n import Phrase
from puente.server.app import create_app
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.peers import service as peers
from puente.services.tickets import service as tickets
from puente.services.users import service as users
from puente.settings import SettingsError
from puente.storage.models import Role, TicketStatus
from puente.storage.outbox import OutboxMessage
from tests.conftest import make_runtime
from tests.support import acting_as, wait_until
from tests.telegram_standin import (
    BOT_USERNAME,
    SECRET,
    TOKEN,
    BotApiStandIn,
    Call,
    TelegramUser,
    serving,
    telegram_settings,
    webhook_of,
)

ANA = 1001  # Telegram user ids
BETO = 1002
CLAIRE = 1003
STRANGER = 4242
GROUP = -100555


@dataclass
class Telegram:
    """Puente serving its webhook, the stand-in Bot API, and people who talk to the bot."""

    runtime: Runtime
    api: BotApiStandIn
    webhook: str

    def person(
        self, user_id: int, name: str = "Ana", chat_id: int | None = None, chat_type: str = "private"
    ) -> TelegramUser:
        return TelegramUser(self.webhook, user_id, name, chat_id, chat_type)

    def replies(self, mark: int = 0) -> list[Call]:
        return self.api.since(mark, "sendMessage")


def add_people(runtime: Runtime) -> None:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST, addresses={"telegram": str(ANA)})
        users.add(ctx, "beto", Role.LEAD, addresses={"telegram": str(BETO)})


@pytest.fixture
def telegram(database_url: str, clock: ManualClock, tmp_path: Path, api: BotApiStandIn) -> Iterator[Telegram]:
    runtime = make_runtime(database_url, clock, tmp_path, **telegram_settings(api))
    add_people(runtime)
    with webhook_of(runtime) as webhook:
        yield Telegram(runtime, api, webhook)
    runtime.engine.dispose()


def ticket_status(runtime: Runtime, reference: str) -> str:
    with acting_as(runtime, "ana") as ctx:
        return tickets.view(ctx, reference).ticket.status


def all_callback_data(api: BotApiStandIn) -> list[str]:
    return [key["callback_data"] for call in api.calls for row in call.keyboard for key in row]


def test_start_up_asks_the_stand_in_who_the_bot_is_and_nothing_else(telegram: Telegram) -> None:
    assert [c.method for c in telegram.api.calls] == ["getMe"]


def test_webhook_refuses_posts_without_the_secret_token(telegram: Telegram) -> None:
    ana = telegram.person(ANA)
    update = ana.message_update("/incident new Phishing wave")
    assert ana.post(update, secret=None).status_code == 403
    assert ana.post(update, secret="guess").status_code == 403
    assert telegram.replies() == []
    with acting_as(telegram.runtime, "ana") as ctx:
        assert tickets.list_tickets(ctx, tickets.Scope.ALL) == []
    assert ana.post(update).status_code == 200
    assert "Opened INC-2026-0001" in telegram.replies()[0].text


def test_incident_new_replies_in_html_with_a_keyboard_of_short_tokens(telegram: Telegram) -> None:
    ana = telegram.person(ANA)
    ana.says("/incident new Phishing <wave> & more sev=high countries=BR,AR tlp=amber")
    (reply,) = telegram.replies()
    assert reply.params["chat_id"] == str(ANA)
    assert reply.params["parse_mode"] == "HTML"
    assert reply.text.startswith("<b>Opened INC-2026-0001.</b>\nINC-2026-0001: Phishing &lt;wave&gt; &amp; more")
    assert "<b>Severity: </b>high" in reply.text
    assert [[key["text"] for key in row] for row in reply.keyboard] == [["Timeline", "Resolve"]]
    for data in all_callback_data(telegram.api):
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT
        assert "INC-" not in data  # the command stays on the server; Telegram carries a token


def test_group_command_addressed_to_our_bot_runs_and_others_are_ignored(telegram: Telegram) -> None:
    ana = telegram.person(ANA, chat_id=GROUP, chat_type="supergroup")
    ana.says(f"/incident@{BOT_USERNAME} new Defacement of ministry portal countries=CO")
    ana.says("/incident@SomeOtherBot list all")
    (reply,) = telegram.replies()
    assert reply.params["chat_id"] == str(GROUP)
    assert "Opened INC-2026-0001" in reply.text
    assert reply.params["reply_parameters"]["message_id"] == 1  # answers the command it quotes


def test_unknown_person_is_refused_with_how_to_get_access(telegram: Telegram) -> None:
    stranger = telegram.person(STRANGER, "Eve", chat_id=GROUP, chat_type="supergroup")
    stranger.says(f"/incident@{BOT_USERNAME} new Anything")
    (reply,) = telegram.replies()
    assert reply.text.startswith("⚠️ You are not a Puente user yet (telegram id 4242).")
    assert "puente users add YOUR_NAME --role analyst --telegram 4242" in reply.text
    assert reply.keyboard == []
    with acting_as(telegram.runtime, "ana") as ctx:
        assert tickets.list_tickets(ctx, tickets.Scope.ALL) == []


def test_unknown_person_pressing_a_button_is_told_privately(telegram: Telegram) -> None:
    telegram.person(ANA, chat_id=GROUP, chat_type="supergroup").says("/incident new Botnet C2 countries=CO")
    card = telegram.replies()[0]
    mark = len(telegram.api.calls)
    telegram.person(STRANGER, "Eve", chat_id=GROUP, chat_type="supergroup").presses(card, "Timeline")
    (answer,) = telegram.api.since(mark)
    assert answer.method == "answerCallbackQuery"
    assert answer.params["show_alert"] == "true"
    assert "puente users add YOUR_NAME --role analyst --telegram 4242" in answer.params["text"]


def test_start_and_help_show_the_commands(telegram: Telegram) -> None:
    ana = telegram.person(ANA)
    ana.says("/start")
    ana.says("/help new")
    start, help_new = telegram.replies()
    assert "Puente commands" in start.text and "/incident new" in start.text
    assert help_new.text.startswith("<b>/incident new &lt;title&gt;")


def test_edited_command_does_not_run_twice(telegram: Telegram) -> None:
    ana = telegram.person(ANA)
    ana.says("/incident new Phishing wave")
    ana.post(ana.message_update("/incident new Phishing wave", edited=True))
    assert len(telegram.replies()) == 1


def test_button_runs_its_command_as_the_person_who_pressed_it(telegram: Telegram) -> None:
    telegram.person(ANA, chat_id=GROUP, chat_type="supergroup").says("/incident new Botnet C2 countries=CO")
    card = telegram.replies()[0]
    mark = len(telegram.api.calls)
    telegram.person(BETO, "Beto", chat_id=GROUP, chat_type="supergroup").presses(card, "Timeline")
    answer, timeline = telegram.api.since(mark)
    assert answer.method == "answerCallbackQuery" and "show_alert" not in answer.params
    assert answer.params["text"] == "Timeline of INC-2026-0001 (1 event):"
    assert timeline.method == "sendMessage" and "· ana · opened: INC-2026-0001: Botnet C2" in timeline.text
    assert timeline.params["reply_parameters"]["message_id"] == card.message_id


def test_confirm_button_asks_first_and_the_answer_replaces_the_question(telegram: Telegram) -> None:
    telegram.person(ANA, chat_id=GROUP, chat_type="supergroup").says(
        "/incident new Ransomware at the port countries=CO"
    )
    card = telegram.replies()[0]
    beto = telegram.person(BETO, "Beto", chat_id=GROUP, chat_type="supergroup")
    beto.presses(card, "Resolve")
    question = telegram.replies()[-1]
    assert question.text == "<b>Resolve INC-2026-0001?</b>"
    assert [[k["text"] for k in row] for row in question.keyboard] == [["Confirm"], ["Cancel"]]
    assert ticket_status(telegram.runtime, "INC-2026-0001") == TicketStatus.NEW  # nothing happened yet

    mark = len(telegram.api.calls)
    beto.presses(question, "Confirm")
    answer, outcome = telegram.api.since(mark)
    assert answer.method == "answerCallbackQuery"
    assert outcome.method == "editMessageText" and outcome.message_id == question.message_id
    assert "INC-2026-0001 is now resolved." in outcome.text
    assert ticket_status(telegram.runtime, "INC-2026-0001") == TicketStatus.RESOLVED
    with acting_as(telegram.runtime, "ana") as ctx:
        _, events = tickets.history(ctx, "INC-2026-0001")
    assert (events[-1].actor, events[-1].action) == ("beto", "resolved")


def test_a_confirm_question_is_asked_in_the_language_of_whoever_presses(telegram: Telegram) -> None:
    """In a group the button is everyone's: the one who presses may read another language than the one who
    asked, and the question (with what it names) is put to them in theirs."""
    with telegram.runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "claire", Role.LEAD, addresses={"telegram": str(CLAIRE)}, language="fr")
        peers.add(ctx, peers.PeerDraft("cert-br", ["BR"], "http://127.0.0.1:9/taxii2/", "inbox-collection"))
    ana = telegram.person(ANA, chat_id=GROUP, chat_type="supergroup")
    claire = telegram.person(CLAIRE, "Claire", chat_id=GROUP, chat_type="supergroup")
    ana.says("/incident new Botnet C2 countries=CO,BR")
    card = telegram.replies()[0]
    claire.presses(card, "Resolve")
    question = telegram.replies()[-1]
    assert question.text == "<b>Résoudre INC-2026-0001 ?</b>"
    assert [[k["text"] for k in row] for row in question.keyboard] == [["Confirmer"], ["Annuler"]]
    ana.says("/incident share INC-2026-0001")
    preview = telegram.replies()[-1]
    claire.presses(preview, "Share")
    assert telegram.replies()[-1].text == "<b>Envoyer INC-2026-0001 (TLP:AMBER) à cert-br ?</b>"
    ana.presses(preview, "Share")
    assert telegram.replies()[-1].text == "<b>Send INC-2026-0001 (TLP:AMBER) to cert-br?</b>"


def test_a_pickers_choices_read_in_the_language_of_whoever_presses(telegram: Telegram) -> None:
    """The decline reasons a picker offers are the presser's words: a Spanish lead asks in a group, a
    Portuguese lead presses and reads Portuguese reasons, an English one still reads English ones."""
    lucia, joao = 1004, 1005
    with telegram.runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "lucia", Role.LEAD, addresses={"telegram": str(lucia)}, language="es")
        users.add(ctx, "joao", Role.LEAD, addresses={"telegram": str(joao)}, language="pt")

    def in_group(user_id: int, name: str) -> TelegramUser:
        return telegram.person(user_id, name, chat_id=GROUP, chat_type="supergroup")

    in_group(lucia, "Lucía").says("/incident decline INC-2026-0001")
    picker = telegram.replies()[-1]
    assert [[k["text"] for k in row] for row in picker.keyboard] == [["Rechazar"]]

    in_group(joao, "João").presses(picker, "Rechazar")
    reasons = [k["text"] for row in telegram.replies()[-1].keyboard for k in row]
    assert reasons[:2] == ["fora do mandato", "restrição legal"] and reasons[-1] == "Cancelar"

    in_group(BETO, "Beto").presses(picker, "Rechazar")
    reasons = [k["text"] for row in telegram.replies()[-1].keyboard for k in row]
    assert reasons[:2] == ["out-of-mandate", "legal-constraint"] and reasons[-1] == "Cancel"


def test_cancel_leaves_the_ticket_alone(telegram: Telegram) -> None:
    ana = telegram.person(ANA)
    ana.says("/incident new Ransomware at the port countries=CO")
    ana.presses(telegram.replies()[0], "Resolve")
    question = telegram.replies()[-1]
    mark = len(telegram.api.calls)
    ana.presses(question, "Cancel")
    answer, edit = telegram.api.since(mark)
    assert answer.params["text"] == "Cancelled."
    assert edit.method == "editMessageText" and edit.text == "<b>Cancelled.</b>"
    assert ticket_status(telegram.runtime, "INC-2026-0001") == TicketStatus.NEW


def test_expired_button_says_so_and_what_to_type_instead(telegram: Telegram, clock: ManualClock) -> None:
    ana = telegram.person(ANA)
    ana.says("/incident new Botnet C2 countries=CO")
    card = telegram.replies()[0]
    clock.advance(timedelta(days=8))
    mark = len(telegram.api.calls)
    ana.presses(card, "Timeline")
    (answer,) = telegram.api.since(mark)
    assert answer.method == "answerCallbackQuery" and answer.params["show_alert"] == "true"
    assert (
        answer.params["text"] == "This button has expired. Type the command instead: /incident timeline INC-2026-0001"
    )


def test_long_ticket_card_is_split_at_line_breaks_with_the_keyboard_last(telegram: Telegram) -> None:
    ana = telegram.person(ANA)
    ana.says("/incident new Data leak countries=CO")
    for word in ("alpha", "bravo"):
        ana.says(f"/incident note INC-2026-0001 {(word + ' ') * 500}")
    mark = len(telegram.api.calls)
    ana.says("/incident show INC-2026-0001")
    parts = telegram.replies(mark)
    assert len(parts) == 2
    assert all(telegram_length(p.text) <= MESSAGE_LIMIT for p in parts)
    assert parts[0].text.startswith("<b>INC-2026-0001</b>") and "alpha alpha" in parts[0].text
    assert "bravo bravo" in parts[1].text
    assert parts[0].keyboard == [] and [k["text"] for k in parts[1].keyboard[0]] == ["Timeline", "Resolve"]


def test_flood_control_on_a_reply_is_waited_out(telegram: Telegram) -> None:
    telegram.api.flood("sendMessage", retry_after=1)
    telegram.person(ANA).says("/incident new Phishing wave")
    assert [c.method for c in telegram.api.calls[1:]] == ["sendMessage (429)", "sendMessage"]
    assert "Opened INC-2026-0001" in telegram.replies()[0].text


def _severity_picker(call: Invocation) -> Reply:
    reference = call.args.word(0, "a ticket reference", "pick-severity INC-…")
    choices = ((Phrase("High"), "sev=high"), (Phrase("Critical"), "sev=critical"))
    return Reply(
        text=f"Severity of {reference}?",
        buttons=[Button("Set severity", f"update {reference}", choices=choices)],
        ticket=reference,
    )


def test_picker_button_offers_its_choices_and_runs_the_one_chosen(
    database_url: str, clock: ManualClock, tmp_path: Path, api: BotApiStandIn
) -> None:
    from fastapi import FastAPI

    runtime = make_runtime(database_url, clock, tmp_path, **telegram_settings(api))
    add_people(runtime)
    registry = default_registry()
    registry.add(Subcommand("pick-severity", "pick-severity INC-…", "Offer severities.", _severity_picker, {}))
    service = TelegramService(runtime, build_application(runtime, CommandCore(runtime, registry)))
    app = FastAPI(lifespan=lambda _app: service.running())
    app.include_router(service.router())
    with serving(app) as base:
        ana = TelegramUser(f"{base}/telegram/webhook", ANA, "Ana")
        ana.says("/incident new Phishing wave")
        ana.says("/incident pick-severity INC-2026-0001")
        ana.presses(api.of("sendMessage")[-1], "Set severity")
        picker = api.of("sendMessage")[-1]
        assert [[k["text"] for k in row] for row in picker.keyboard] == [["High", "Critical"], ["Cancel"]]
        ana.presses(picker, "Critical")
        outcome = api.of("editMessageText")[-1]
        assert outcome.message_id == picker.message_id
        assert "<b>Severity: </b>critical" in outcome.text
    with acting_as(runtime, "ana") as ctx:
        assert tickets.view(ctx, "INC-2026-0001").ticket.severity == "critical"
    runtime.engine.dispose()


def test_webhook_mode_without_a_secret_stops_start_up(sqlite_url: str, clock: ManualClock, tmp_path: Path) -> None:
    runtime = make_runtime(
        sqlite_url, clock, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL="http://127.0.0.1:9/bot"
    )
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET: required with TELEGRAM_MODE=webhook"):
        create_app(runtime)


def test_webhook_is_registered_with_the_secret_when_the_public_url_is_known(
    sqlite_url: str, clock: ManualClock, tmp_path: Path, api: BotApiStandIn
) -> None:
    runtime = make_runtime(
        sqlite_url, clock, tmp_path, **telegram_settings(api, PUENTE_BASE_URL="https://puente.csirt.example")
    )
    with serving(create_app(runtime)):
        pass
    (registration,) = api.of("setWebhook")
    assert registration.params["url"] == "https://puente.csirt.example/telegram/webhook"
    assert registration.params["secret_token"] == SECRET


def test_polling_mode_fetches_updates_and_has_no_webhook(
    sqlite_url: str, clock: ManualClock, tmp_path: Path, api: BotApiStandIn
) -> None:
    runtime = make_runtime(
        sqlite_url, clock, tmp_path, **telegram_settings(api, TELEGRAM_MODE="polling", TELEGRAM_WEBHOOK_SECRET="")
    )
    add_people(runtime)
    ana = TelegramUser("unused", ANA, "Ana")
    api.updates.append(ana.message_update("/incident new Phishing wave"))
    with serving(create_app(runtime)) as base:
        assert httpx.post(f"{base}/telegram/webhook", json={}).status_code == 404
        wait_until(lambda: bool(api.of("sendMessage")), "Puente answers the update it fetched")
    assert "Opened INC-2026-0001" in api.of("sendMessage")[0].text
    assert api.of("deleteWebhook")  # PTB drops any webhook before polling


def test_button_on_a_page_works_like_a_button_on_a_reply(telegram: Telegram) -> None:
    from puente.bot.telegram.notifier import TelegramNotifier
    from puente.services.notify import Action, Notice, Recipient

    ana = telegram.person(ANA)
    ana.says("/incident new Ransomware at the port sev=critical countries=CO")
    notifier = TelegramNotifier(telegram.runtime)
    try:
        notice = Notice("🚨 Page: INC-2026-0001 is critical", actions=(Action("Timeline", "timeline INC-2026-0001"),))
        notifier.send(Recipient("beto", {"telegram": str(BETO)}), notice)
    finally:
        notifier.close()
    page = telegram.replies()[-1]
    assert page.params["chat_id"] == str(BETO)
    mark = len(telegram.api.calls)
    telegram.person(BETO, "Beto").presses(page, "Timeline")
    answer, timeline = telegram.api.since(mark)
    assert answer.method == "answerCallbackQuery"
    assert timeline.params["chat_id"] == str(BETO) and "Timeline of INC-2026-0001" in timeline.text


def test_a_rejected_token_stops_start_up_without_printing_it(
    sqlite_url: str, clock: ManualClock, tmp_path: Path, api: BotApiStandIn
) -> None:
    settings = telegram_settings(api, TELEGRAM_BOT_TOKEN="999:wrong-token")
    service = TelegramService(make_runtime(sqlite_url, clock, tmp_path, **settings))

    async def start() -> None:
        async with service.running():
            pass

    with pytest.raises(TelegramStartError, match="Telegram rejected TELEGRAM_BOT_TOKEN") as raised:
        asyncio.run(start())
    assert "wrong-token" not in str(raised.value)


def test_a_webhook_secret_telegram_would_refuse_is_a_bad_setting() -> None:
    from puente.settings import load_settings

    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET: Telegram accepts 1-256 letters"):
        load_settings(TELEGRAM_WEBHOOK_SECRET="has spaces!")


def test_page_reaches_on_call_on_telegram_and_is_edited_in_place_once_acknowledged(
    database_url: str, clock: ManualClock, tmp_path: Path, api: BotApiStandIn
) -> None:
    from puente.bot.telegram.notifier import TelegramNotifier
    from puente.services.escalation import scheduled as escalation_worker
    from tests.paging import one_page_policy, write_policy

    policy = write_policy(tmp_path, one_page_policy("bob"))
    runtime = make_runtime(
        database_url, clock, tmp_path, **telegram_settings(api, PUENTE_ESCALATION_POLICIES=str(policy))
    )
    add_people(runtime)
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "bob", Role.ONCALL, addresses={"telegram": "2001"})
    notifier = TelegramNotifier(runtime)
    runtime.notifiers.append(notifier)
    try:
        with webhook_of(runtime) as webhook:
            TelegramUser(webhook, ANA, "Ana").says("/incident new Ransomware at the port sev=critical countries=CO")
            escalation_worker.tick(runtime)  # the timer worker's round
            page = api.of("sendMessage")[-1]
            assert page.params["chat_id"] == "2001"
            assert page.text.startswith("<b>Page P1 for INC-2026-0001: critical ticket: Ransomware at the port</b>")
            assert [k["text"] for k in page.keyboard[0]] == ["Acknowledge"]

            TelegramUser(webhook, 2001, "Bob").presses(page, "Acknowledge")
            assert "Acknowledged INC-2026-0001" in api.of("sendMessage")[-1].text
            escalation_worker.tick(runtime)
            edit = api.of("editMessageText")[-1]
            assert (edit.params["chat_id"], edit.message_id) == ("2001", page.message_id)
            assert edit.text.startswith("<b>Page P1 for INC-2026-0001: taken by bob at Mon, Jan 5, 12:00 UTC.</b>")
            assert "reply_markup" not in edit.params
    finally:
        notifier.close()
        runtime.engine.dispose()


def test_a_web_sign_in_link_is_only_ever_posted_in_a_private_chat(telegram: Telegram) -> None:
    telegram.person(ANA, chat_id=GROUP, chat_type="supergroup").says("/incident web")
    (refusal,) = telegram.replies()
    assert refusal.params["chat_id"] == str(GROUP)
    assert "private chat with the bot" in refusal.text and "/signin?token=" not in refusal.text
    mark = len(telegram.api.calls)
    telegram.person(ANA).says("/incident web")
    (answer,) = telegram.replies(mark)
    assert answer.params["chat_id"] == str(ANA)
    assert "http://127.0.0.1:8080/signin?token=" in answer.text


def test_a_share_pressed_after_a_peer_was_added_sends_nothing_and_shows_the_new_preview(telegram: Telegram) -> None:
    def peer(name: str, country: str) -> None:
        with telegram.runtime.unit_of_work(actor_name="operator") as ctx:
            peers.add(ctx, peers.PeerDraft(name, [country], "http://127.0.0.1:9/taxii2/", "inbox-collection"))

    peer("cert-br", "BR")
    ana = telegram.person(ANA)
    ana.says("/incident new Botnet C2 across the region countries=CO,BR,AR")
    ana.says("/incident share INC-2026-0001")
    preview = telegram.replies()[-1]
    assert "cert-br" in preview.text and "cert-ar" not in preview.text
    peer("cert-ar", "AR")  # between the preview and the press
    ana.presses(preview, "Share")
    question = telegram.replies()[-1]
    mark = len(telegram.api.calls)
    ana.presses(question, "Confirm")
    shown = " ".join(call.text for call in telegram.api.since(mark) if call.text)
    assert "changed since the preview: nothing was sent" in shown and "cert-ar" in shown
    with telegram.runtime.unit_of_work() as ctx:
        assert ctx.session.exec(select(OutboxMessage)).all() == []
