"""Chat as a hostile or merely unlucky user would use it: Telegram re-sending an update, a Slack request
replayed within its five minutes (to any replica), text that tries to pass for Puente's own lines,
fields or links, and people named like Puente's own actors. Through the real slack-bolt and
python-telegram-bot pipelines, against the loopback stand-ins."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from puente.bot.commands import Command
from puente.bot.console.repl import render
from puente.bot.core import CommandCore
from puente.server.app import create_app
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.errors import InvalidInput
from puente.services.tickets import service as tickets
from puente.services.users import service as users
from puente.storage.models import Role
from tests.conftest import make_runtime
from tests.slack_api import SlackStandIn, slack_settings
from tests.support import acting_as
from tests.telegram_standin import BotApiStandIn, TelegramUser, telegram_settings, webhook_of
from tests.test_slack import ANA, all_text, signed_headers, trigger_id
from tests.test_telegram import ANA as ANA_ON_TELEGRAM
from tests.test_telegram import add_people

FORGED_TITLE = "Phishing wave\nTLP: TLP:CLEAR\r\nOwner: nobody\u2028Status: closed"


def ticket_count(runtime: Runtime) -> int:
    with acting_as(runtime, "ana") as ctx:
        return len(tickets.list_tickets(ctx, tickets.Scope.ALL))


# Slack ------------------------------------------------------------------------------------------


def slack_runtime(database_url: str, tmp_path: Path, slack: SlackStandIn, name: str) -> Runtime:
    return make_runtime(database_url, ManualClock(), tmp_path / name, **slack_settings(slack))


@pytest.fixture
def replicas(database_url: str, tmp_path: Path, slack: SlackStandIn) -> Iterator[tuple[Runtime, Runtime]]:
    """Two replicas of one Puente on one database, as behind a load balancer."""
    first = slack_runtime(database_url, tmp_path, slack, "first")
    second = slack_runtime(database_url, tmp_path, slack, "second")
    with first.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST, addresses={"slack": ANA})
    yield first, second
    first.engine.dispose()
    second.engine.dispose()


def slash_body(slack: SlackStandIn, text: str, name: str) -> str:
    return urlencode(
        {
            "team_id": "T0CSIRT",
            "channel_id": "C0SOC",
            "user_id": ANA,
            "command": "/incident",
            "text": text,
            "response_url": slack.response_url(name),
            "trigger_id": trigger_id(),
        }
    )


def test_a_slack_request_replayed_within_its_window_runs_once_on_any_replica(
    replicas: tuple[Runtime, Runtime], slack: SlackStandIn
) -> None:
    first, second = replicas
    body = slash_body(slack, "new Phishing wave sev=high countries=BR", "cmd")
    headers = signed_headers(body)  # one signature, valid for five minutes: what a replay re-sends
    with TestClient(create_app(first)) as one, TestClient(create_app(second)) as other:
        assert one.post("/slack/events", content=body, headers=headers).status_code == 200
        assert one.post("/slack/events", content=body, headers=headers).status_code == 200
        assert other.post("/slack/events", content=body, headers=headers).status_code == 200
        # A new command (its own trigger id) still runs, whoever serves it.
        again = slash_body(slack, "new Phishing wave sev=high countries=BR", "again")
        assert other.post("/slack/events", content=again, headers=signed_headers(again)).status_code == 200
    # Leaving the clients finished the work both replicas had queued.
    assert len(slack.of("response:cmd")) == 1
    assert "Opened INC-2026-0001." in slack.of("response:cmd")[0].params["text"]
    assert "Opened INC-2026-0002." in slack.of("response:again")[0].params["text"]
    assert ticket_count(first) == 2


def test_peer_and_user_text_cannot_forge_lines_fields_or_links_in_slack(
    replicas: tuple[Runtime, Runtime], slack: SlackStandIn
) -> None:
    runtime, _ = replicas
    with runtime.unit_of_work() as ctx:
        # A peer's incident name, as its message opens a ticket here.
        opened = tickets.open_for_peer(
            ctx,
            tickets.TicketDraft(title=FORGED_TITLE + "\n<https://evil.example|https://cert.br> <!channel>"),
            "cert-br",
        )
    with TestClient(create_app(runtime)) as client:
        note = f"note {opened.reference} looked at it\nStatus: closed\nTLP: TLP:CLEAR"
        body = slash_body(slack, note, "note")
        client.post("/slack/events", content=body, headers=signed_headers(body))
        [_] = slack.wait_for("response:note")
        body = slash_body(slack, f"show {opened.reference}", "show")
        client.post("/slack/events", content=body, headers=signed_headers(body))
        [shown] = slack.wait_for("response:show")
    text = all_text(shown.params)
    lines = text.split("\n")
    assert f"{opened.reference}: Phishing wave TLP: TLP:CLEAR Owner: nobody Status: closed" in text
    # Fields are Block Kit fields ("*Status*\nnew"); no line of the message poses as one.
    assert [line for line in lines if re.match(r"(Status|TLP|Owner): ", line)] == [], lines
    assert "<https://evil" not in text and "<!channel>" not in text  # escaped: no link, no ping
    assert "&lt;https://evil.example|https://cert.br&gt;" in text
    assert any("looked at it Status: closed TLP: TLP:CLEAR" in line for line in lines)


# Telegram ---------------------------------------------------------------------------------------


def test_a_telegram_update_sent_again_runs_once_on_any_replica(
    database_url: str, tmp_path: Path, api: BotApiStandIn
) -> None:
    first = make_runtime(database_url, ManualClock(), tmp_path / "first", **telegram_settings(api))
    second = make_runtime(database_url, ManualClock(), tmp_path / "second", **telegram_settings(api))
    add_people(first)
    try:
        with webhook_of(first) as one, webhook_of(second) as other:
            ana = TelegramUser(one, ANA_ON_TELEGRAM, "Ana")
            ana_elsewhere = TelegramUser(other, ANA_ON_TELEGRAM, "Ana")
            update = ana.message_update("/incident new Phishing wave sev=high countries=BR")
            assert ana.post(update).status_code == 200
            assert ana.post(update).status_code == 200  # Telegram re-sends what it thinks went unanswered
            assert ana_elsewhere.post(update).status_code == 200
            replies = [c.text for c in api.of("sendMessage")]
            assert len(replies) == 1 and "Opened INC-2026-0001" in replies[0]
            ana.says("/incident new Phishing wave sev=high countries=BR")  # a new update runs
            assert "Opened INC-2026-0002" in api.of("sendMessage")[-1].text
        assert ticket_count(first) == 2
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_titles_and_notes_cannot_forge_lines_in_telegram(database_url: str, tmp_path: Path, api: BotApiStandIn) -> None:
    runtime = make_runtime(database_url, ManualClock(), tmp_path, **telegram_settings(api))
    add_people(runtime)
    try:
        with webhook_of(runtime) as webhook:
            ana = TelegramUser(webhook, ANA_ON_TELEGRAM, "Ana")
            ana.says(f'/incident new "{FORGED_TITLE}" tlp=amber desc="Seen at 03:00\nTLP: TLP:CLEAR"')
            opened = api.of("sendMessage")[-1]
            ana.says("/incident note INC-2026-0001 called them\nPAP: PAP:CLEAR")
            ana.says("/incident show INC-2026-0001")
            shown = api.of("sendMessage")[-1]
    finally:
        runtime.engine.dispose()
    for message in (opened, shown):
        lines = shown_text(message.text).split("\n")
        assert [line for line in lines if line.startswith("TLP:")] == ["TLP: TLP:AMBER"], lines
        assert [line for line in lines if line.startswith("Status:")] == ["Status: new"], lines
        assert "INC-2026-0001: Phishing wave TLP: TLP:CLEAR Owner: nobody Status: closed" in lines
        assert "> TLP: TLP:CLEAR" in lines  # the description's own line, marked as such
    assert not any(line.startswith("PAP: PAP:CLEAR") for line in shown_text(shown.text).split("\n"))
    assert any("called them PAP: PAP:CLEAR" in line for line in shown_text(shown.text).split("\n"))


def shown_text(html: str) -> str:
    """What a Telegram user reads of a message sent in HTML parse mode."""
    return unescape(re.sub(r"</?b>", "", html))


# Console ----------------------------------------------------------------------------------------


def test_terminal_escapes_in_a_title_never_reach_the_console(runtime: Runtime) -> None:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    # An OSC 8 hyperlink, a bell and a carriage return that would overwrite the reference.
    title = "\x1b]8;;https://evil.example\x07Click\x1b]8;;\x07 here\rINC-2026-9999\u202etxt.exe"
    core = CommandCore(runtime)
    reply = core.handle(Command(text=f'new "{title}"', platform="console", user_id="ana"))
    assert reply.ok, reply.text
    shown = render(core.handle(Command(text="show INC-2026-0001", platform="console", user_id="ana")))
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", shown)
    assert "INC-2026-0001: ]8;;https://evil.exampleClick]8;; here INC-2026-9999txt.exe" in shown


# Names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["partner:peer-cl", "peer:cert-br", "outbox", "Outbox", "operator", "escalation", "poller", "system"]
)
def test_a_person_cannot_be_named_like_one_of_puentes_own_actors(runtime: Runtime, name: str) -> None:
    with runtime.unit_of_work(actor_name="operator") as ctx, pytest.raises(InvalidInput):
        users.add(ctx, name, Role.ANALYST)


@pytest.mark.parametrize("name", ["ana\u0440", "ana\nbeto", "-ana", "ana.", "ana beto", "x" * 65])
def test_a_person_is_named_in_plain_letters_digits_and_dots(runtime: Runtime, name: str) -> None:
    with runtime.unit_of_work(actor_name="operator") as ctx, pytest.raises(InvalidInput):
        users.add(ctx, name, Role.ANALYST)


def test_every_actor_the_code_writes_on_the_timeline_is_reserved() -> None:
    """The actor names in the code (`actor_name="outbox"`, `actor="escalation"`) are all refused as user names."""
    root = Path(__file__).resolve().parent.parent
    found = subprocess.run(
        ["git", "grep", "-hoE", r"actor(_name)?=f?\"[^\"{]+", "--", "services", "server", "cli", "bot"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    literals = {match.split('"', 1)[1] for match in found}
    assert {"outbox", "escalation", "operator"} <= literals  # the search itself works
    prefixes = {name for name in literals if name.endswith(":")}
    assert prefixes <= {"partner:", "peer:"}
    for name in literals - prefixes:
        assert name.casefold() in users.SYSTEM_ACTORS, f"{name!r} is written on the timeline but a person may take it"
