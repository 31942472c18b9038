"""What the chat adapters say of their own (a Slack modal, a Telegram confirm, the console's prompts, a page's
prefix) reads in the language of whoever reads it, through the platforms' real pipelines: slack-bolt and
python-telegram-bot against their loopback stand-ins, prompt_toolkit at a pipe terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from puente.bot.console.notifier import ConsoleNotifier
from puente.bot.console.repl import Console, render
from puente.bot.core import CommandCore
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.bot.slack.blocks import render_notice, render_reply
from puente.i18n import Phrase
from puente.server.app import create_app
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.escalation import scheduled as escalation_worker
from puente.services.notify import Notice
from puente.services.users import service as users
from puente.storage.models import Role
from tests.conftest import make_runtime
from tests.paging import one_page_policy, write_policy
from tests.slack_api import SlackStandIn, slack_settings
from tests.support import wait_until
from tests.telegram_standin import BotApiStandIn, TelegramUser, telegram_settings, webhook_of
from tests.test_console import after, at_terminal
from tests.test_slack import all_text, interact, slash, submission

LUCIA = "U0LUCIA"  # a Slack user whose Slack speaks Spanish


@pytest.fixture
def slack_client(sqlite_url: str, clock: ManualClock, tmp_path: Path, slack: SlackStandIn) -> Iterator[TestClient]:
    """Puente's app with Slack on the stand-in, where lucia's Slack speaks Spanish (she never chose)."""
    slack.locales[LUCIA] = "es-LA"
    runtime = make_runtime(sqlite_url, clock, tmp_path, **slack_settings(slack))
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "lucia", Role.ANALYST, addresses={"slack": LUCIA})
    with TestClient(create_app(runtime)) as client:
        yield client
    runtime.engine.dispose()


def _blocks(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block for block in view["blocks"]}


def test_a_spanish_slack_user_opens_nuevo_and_reads_the_form_its_errors_and_its_answer_in_spanish(
    slack_client: TestClient, slack: SlackStandIn
) -> None:
    slash(slack_client, slack, "nuevo", user=LUCIA)
    [opened] = slack.wait_for("views.open")
    view = opened.params["view"]
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Nuevo ticket",
        "Abrir ticket",
        "Cancelar",
    )
    blocks = _blocks(view)
    assert [blocks[b]["label"]["text"] for b in ("title", "severity", "countries", "sectors", "observables")] == [
        "Título",
        "Gravedad",
        "Países afectados",
        "Sectores",
        "Observables",
    ]
    severity = blocks["severity"]["element"]
    assert [o["text"]["text"] for o in severity["options"]] == ["Baja", "Media", "Alta", "Crítica (24/7)"]
    assert severity["initial_option"]["text"]["text"] == "Media"
    groups = blocks["countries"]["element"]["option_groups"]
    assert [g["label"]["text"] for g in groups] == ["Las Américas", "Fuera de las Américas"]
    assert {"text": {"type": "plain_text", "text": "Brasil (BR)"}, "value": "BR"} in groups[0]["options"]
    kinds = {o["value"]: o["text"]["text"] for g in blocks["type"]["element"]["option_groups"] for o in g["options"]}
    assert kinds["fraud/phishing"] == "Phishing" and kinds["malicious-code/c2-server"] == "Servidor C2"
    # The language rides with the form, so what comes back is answered in it.
    assert json.loads(view["private_metadata"]) == {"channel": "C0SOC", "language": "es"}

    form = submission({"title": " ", "severity": "high", "other_countries": "XX"}, user=LUCIA)
    form["view"]["private_metadata"] = view["private_metadata"]
    refused = interact(slack_client, form).json()
    assert refused["errors"]["title"] == "Póngale un título al ticket, p. ej. Ola de phishing contra ministerios."
    assert refused["errors"]["other_countries"].startswith("País desconocido 'XX'")

    form = submission({"title": "Ransomware en el puerto", "severity": "high", "countries": ["CO"]}, user=LUCIA)
    form["view"]["private_metadata"] = view["private_metadata"]
    assert interact(slack_client, form).status_code == 200
    [posted] = slack.wait_for("chat.postMessage")
    assert posted.params["channel"] == "C0SOC"
    assert "INC-2026-0001 abierto." in all_text(posted.params)
    assert [e["text"]["text"] for b in posted.params["blocks"] if b["type"] == "actions" for e in b["elements"]][
        :2
    ] == ["Cronología", "Resolver"]


def test_slack_answers_in_the_persons_slack_locale_asking_slack_once(
    slack_client: TestClient, slack: SlackStandIn
) -> None:
    slash(slack_client, slack, "help", user=LUCIA, name="first")
    slash(slack_client, slack, "hlep", user=LUCIA, name="second")
    [first] = slack.wait_for("response:first")
    [second] = slack.wait_for("response:second")
    assert first.params["text"].startswith("Comandos de Puente")
    assert "Subcomando desconocido 'hlep'. ¿Quiso decir help?" in second.params["text"]
    assert len(slack.of("users.info")) == 1


def test_every_new_alias_alone_opens_the_form_and_with_words_opens_the_ticket(
    slack_client: TestClient, slack: SlackStandIn
) -> None:
    for word in ("novo", "nouveau", "new"):
        slash(slack_client, slack, word, user=LUCIA)
    assert len(slack.wait_for("views.open", 3)) == 3
    slash(slack_client, slack, "nuevo Botnet C2 countries=CO", user=LUCIA, name="typed")
    [reply] = slack.wait_for("response:typed")
    assert "INC-2026-0001 abierto." in reply.params["text"]


def test_what_slack_rendering_adds_reads_in_the_replys_language() -> None:
    long = Reply(
        text="Cronologie",
        lines=[f"événement {n} " + "x" * 2900 for n in range(60)],
        buttons=[
            Button(
                "Résoudre",
                "resolve INC-2026-0001",
                ButtonStyle.DANGER,
                confirm=Phrase("Resolve {reference}?", {"reference": "INC-2026-0001"}),
            )
        ],
        language="fr",
    )
    messages = render_reply(long)
    assert messages[1]["text"] == f"Cronologie (partie 2 sur {len(messages)})"
    [action] = [b for b in messages[-1].blocks if b["type"] == "actions"]
    confirm = action["elements"][0]["confirm"]
    assert (confirm["text"]["text"], confirm["deny"]["text"]) == ("Résoudre INC-2026-0001 ?", "Annuler")
    notice = render_notice(
        Notice(text="Alerte", fields=tuple((f"c{i}", "v" * 1900) for i in range(600)), language="pt")
    )
    assert notice.blocks[-1]["text"]["text"] == "… (resumido; /incident show tem o restante)"


def test_a_brazilian_telegram_user_gets_portuguese_keyboards_prompts_and_refusals(
    sqlite_url: str, clock: ManualClock, tmp_path: Path, api: BotApiStandIn
) -> None:
    runtime = make_runtime(sqlite_url, clock, tmp_path, **telegram_settings(api))
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "joao", Role.ANALYST, addresses={"telegram": "2002"})
        # Chose Portuguese in Puente, though their Telegram app is in English: the choice wins.
        users.add(ctx, "rita", Role.ANALYST, addresses={"telegram": "2003"}, language="pt")
    with webhook_of(runtime) as webhook:
        joao = TelegramUser(webhook, 2002, "João", language_code="pt-br")
        joao.says("/incident novo Ransomware no porto countries=BR")
        [card] = api.of("sendMessage")
        assert card.text.startswith("<b>INC-2026-0001 aberto.")
        assert [k["text"] for row in card.keyboard for k in row][:2] == ["Linha do tempo", "Resolver"]

        joao.presses(card, "Resolver")
        question = api.of("sendMessage")[-1]
        assert question.text == "<b>Resolver INC-2026-0001?</b>"
        assert [[k["text"] for k in row] for row in question.keyboard] == [["Confirmar"], ["Cancelar"]]
        mark = len(api.calls)
        joao.presses(question, "Cancelar")
        answer, edit = api.since(mark)
        assert answer.params["text"] == "Cancelado." and edit.text == "<b>Cancelado.</b>"

        rita = TelegramUser(webhook, 2003, "Rita", language_code="en")
        rita.presses(card, "Resolver")
        assert [[k["text"] for k in row] for row in api.of("sendMessage")[-1].keyboard] == [
            ["Confirmar"],
            ["Cancelar"],
        ]

        clock.advance(timedelta(days=8))
        mark = len(api.calls)
        joao.presses(card, "Linha do tempo")
        [expired] = api.since(mark)
        assert expired.params["text"] == (
            "Este botão expirou. Digite o comando no lugar: /incident timeline INC-2026-0001"
        )
        stranger = TelegramUser(webhook, 4242, "Eva", language_code="pt-BR")
        mark = len(api.calls)
        stranger.presses(card, "Resolver")
        [refused] = api.since(mark)
        assert refused.params["text"].startswith("Você ainda não é usuário do Puente")
    runtime.engine.dispose()


@pytest.fixture
def french_core(sqlite_runtime: Runtime) -> CommandCore:
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "claire", Role.ANALYST, language="fr")
    return CommandCore(sqlite_runtime)


def test_a_french_console_user_reads_the_consoles_prompts_in_french(
    french_core: CommandCore, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = Console(french_core, "claire", serving=True)
    with at_terminal(console, monkeypatch) as (keyboard, screen):
        wait_until(after(screen, "Console Puente en tant que claire. Tapez /incident help"), "the banner")
        keyboard.send_text("quit\r")
        wait_until(after(screen, "Arrêter Puente ? [o/N]"), "the question")
        keyboard.send_text("o\r")
    assert "Arrêt de Puente : serveur TAXII et tâches." in screen.seen
    refused = render(console.run_one("/incident voir INC-2026-9999"))
    assert refused.startswith("erreur : ")


def test_a_page_to_a_spanish_on_call_from_a_portuguese_sender_reads_spanish(
    sqlite_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path, one_page_policy("marta"))
    runtime = make_runtime(sqlite_url, clock, tmp_path, PUENTE_ESCALATION_POLICIES=str(policy))
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "joao", Role.ANALYST, language="pt")
        users.add(ctx, "marta", Role.ONCALL, language="es")
    notices = ConsoleNotifier()
    runtime.notifiers.append(notices)
    core = CommandCore(runtime)
    opened = Console(core, "joao").render_one("/incident novo Ransomware no porto sev=critical countries=BR")
    assert opened.startswith("INC-2026-0001 aberto.")
    escalation_worker.tick(runtime)
    [page] = notices.printed
    assert page.startswith("[para marta] Alerta P1 por INC-2026-0001: ticket de gravedad crítica: Ransomware no porto")
    assert "[Acusar recibo: /incident ack P1]" in page
    runtime.engine.dispose()
