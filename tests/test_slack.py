"""The Slack adapter through bolt's real pipeline: signed requests into Puente's ASGI app, and a
loopback stand-in for the Slack Web API recording what Slack (and so the analyst) receives."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from fastapi.testclient import TestClient

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.bot.replies import Button, ButtonStyle, Reply
from puente.bot.slack.blocks import MAX_BLOCKS, MAX_SECTION_TEXT, render_notice, render_reply
from puente.bot.slack.notifier import SlackNotifier
from puente.i18n import Phrase
from puente.server.app import create_app
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.notify import Action, DeliveryError, Notice, Recipient
from puente.services.users import service as users
from puente.storage.models import Role
from tests.conftest import make_runtime
from tests.slack_api import BOT_TOKEN, GONE, SECRET, SlackStandIn, slack_settings

ANA = "U0ANA"
NOBODY = "U0NOBODY"


@pytest.fixture
def slack_runtime(database_url: str, clock: ManualClock, tmp_path: Path, slack: SlackStandIn) -> Iterator[Runtime]:
    runtime = make_runtime(database_url, clock, tmp_path, **slack_settings(slack))
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST, addresses={"slack": ANA})
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def client(slack_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(slack_runtime)) as test_client:
        yield test_client


# Slack gives every slash command, press and submission a trigger id of its own.
TRIGGERS = itertools.count(1)


def trigger_id() -> str:
    return f"1337.{next(TRIGGERS)}.trigger"


def signed_headers(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


# The fields of the `new` modal, in the order Slack shows them.
MODAL_BLOCKS = (
    "title",
    "description",
    "severity",
    "type",
    "countries",
    "other_countries",
    "sectors",
    "tlp",
    "observables",
)


def slash(
    client: TestClient, slack: SlackStandIn, text: str, user: str = ANA, name: str = "cmd", trigger: str = ""
) -> Any:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T0CSIRT",
            "channel_id": "C0SOC",
            "channel_name": "soc",
            "user_id": user,
            "user_name": "someone",
            "command": "/incident",
            "text": text,
            "response_url": slack.response_url(name),
            "trigger_id": trigger or trigger_id(),
        }
    )
    return client.post("/slack/events", content=body, headers=signed_headers(body))


def nothing_came_of(client: TestClient, slack: SlackStandIn, method: str) -> None:
    """No call of `method` reached Slack from what was refused before: a command sent after it is answered
    first, so by then any work the refused requests had wrongly queued would have had its turn."""
    slash(client, slack, "list", name="after")
    slack.wait_for("response:after")
    assert slack.of(method) == []


def interact(client: TestClient, payload: dict[str, Any]) -> Any:
    body = urlencode({"payload": json.dumps(payload)})
    return client.post("/slack/events", content=body, headers=signed_headers(body))


def press(
    client: TestClient, slack: SlackStandIn, element: dict[str, Any], user: str = ANA, name: str = "press"
) -> Any:
    """Press a rendered button (or choose the first option of a rendered picker) as Slack would report it."""
    action: dict[str, Any] = {"action_id": element["action_id"], "block_id": "b1", "type": element["type"]}
    if element["type"] == "button":
        action["value"] = element["value"]
    else:
        action["selected_option"] = element["options"][0]
    return interact(
        client,
        {
            "type": "block_actions",
            "team": {"id": "T0CSIRT"},
            "user": {"id": user},
            "api_app_id": "A0PUENTE",
            "token": "legacy",
            "trigger_id": trigger_id(),
            "channel": {"id": "C0SOC"},
            "container": {"type": "message"},
            "response_url": slack.response_url(name),
            "actions": [action],
        },
    )


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for block in message["blocks"]:
        if block["type"] == "actions":
            for element in block["elements"]:
                label = element["text"]["text"] if element["type"] == "button" else element["placeholder"]["text"]
                found[label] = element
    return found


def all_text(message: dict[str, Any]) -> str:
    parts = [message.get("text", "")]
    for block in message.get("blocks", []):
        if "text" in block and block["type"] == "section":
            parts.append(block["text"]["text"])
        parts += [f["text"] for f in block.get("fields", [])]
    return "\n".join(parts)


def open_ticket(runtime: Runtime, text: str = "new Phishing wave sev=high countries=BR,AR") -> str:
    reply = CommandCore(runtime).handle(Command(text=text, platform="slack", user_id=ANA))
    assert reply.ok, reply.text
    assert reply.ticket is not None
    return reply.ticket


def test_slash_command_is_acknowledged_at_once_and_the_reply_lands_in_the_channel(
    client: TestClient, slack: SlackStandIn
) -> None:
    response = slash(client, slack, "new Phishing wave against ministries sev=high countries=BR,AR tlp=amber")
    assert response.status_code == 200
    assert response.text == ""  # the acknowledgement carries nothing; the work comes after it
    [reply] = slack.wait_for("response:cmd")
    message = reply.params
    assert message["response_type"] == "in_channel"
    assert "Opened INC-2026-0001." in message["text"]
    text = all_text(message)
    assert "Phishing wave against ministries" in text and "BR (Brazil)" in text and "TLP:AMBER" in text
    resolve = buttons(message)["Resolve"]
    assert resolve["value"] == "resolve INC-2026-0001"
    assert resolve["confirm"]["text"]["text"] == "Resolve INC-2026-0001?"
    # bolt's start-up check of the token went to the stand-in, with the bot token
    [auth] = slack.of("auth.test")
    assert auth.token == BOT_TOKEN


def test_acknowledgement_does_not_wait_for_the_work(client: TestClient, slack: SlackStandIn) -> None:
    adapter = client.app.state.slack  # type: ignore[attr-defined]
    release = threading.Event()
    core = adapter.core

    class HeldCore:
        """The command core, held until the test has seen the acknowledgement."""

        def handle_once(self, command: Command) -> Reply | None:
            release.wait()
            return core.handle_once(command)

    adapter.core = HeldCore()
    try:
        response = slash(client, slack, "list")
        assert response.status_code == 200
        assert not slack.of("response:cmd")  # acknowledged while the command is still waiting to run
    finally:
        release.set()
    [reply] = slack.wait_for("response:cmd")
    assert reply.params["text"] == "No open tickets."


def test_unknown_slack_user_is_refused_privately_with_how_to_get_access(
    client: TestClient, slack: SlackStandIn
) -> None:
    assert slash(client, slack, "list", user=NOBODY).status_code == 200
    [reply] = slack.wait_for("response:cmd")
    assert reply.params["response_type"] == "ephemeral"
    assert "puente users add YOUR_NAME --role analyst --slack U0NOBODY" in reply.params["text"]


def test_help_and_errors_are_ephemeral(client: TestClient, slack: SlackStandIn) -> None:
    slash(client, slack, "help", name="help")
    slash(client, slack, "show INC-2026-9999", name="missing")
    [help_reply] = slack.wait_for("response:help")
    [missing] = slack.wait_for("response:missing")
    assert help_reply.params["response_type"] == "ephemeral"
    assert "/incident new" in all_text(help_reply.params)
    assert missing.params["response_type"] == "ephemeral"
    assert "No ticket 'INC-2026-9999'" in missing.params["text"]


def test_new_without_text_opens_the_modal(client: TestClient, slack: SlackStandIn) -> None:
    slash(client, slack, "new", trigger="1337.42.trigger")
    [opened] = slack.wait_for("views.open")
    assert opened.params["trigger_id"] == "1337.42.trigger"
    view = opened.params["view"]
    assert view["callback_id"] == "puente.new"
    assert json.loads(view["private_metadata"]) == {"channel": "C0SOC", "language": "en"}
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert list(blocks) == list(MODAL_BLOCKS)
    country_options = [o for g in blocks["countries"]["element"]["option_groups"] for o in g["options"]]
    assert {"text": {"type": "plain_text", "text": "Brazil (BR)"}, "value": "BR"} in country_options
    assert len(country_options) <= 100  # a static select holds 100 options at most
    types = [o["value"] for g in blocks["type"]["element"]["option_groups"] for o in g["options"]]
    assert "malicious-code/c2-server" in types and "fraud/phishing" in types
    assert [o["value"] for o in blocks["tlp"]["element"]["options"]] == [
        "clear",
        "green",
        "amber",
        "amber+strict",
        "red",
    ]
    assert not slack.of("response:cmd")


def test_unknown_user_gets_a_refusal_instead_of_the_modal(client: TestClient, slack: SlackStandIn) -> None:
    slash(client, slack, "new", user=NOBODY)
    [reply] = slack.wait_for("response:cmd")
    assert reply.params["response_type"] == "ephemeral"
    assert "--slack U0NOBODY" in reply.params["text"]
    assert not slack.of("views.open")


def submission(values: dict[str, Any], user: str = ANA) -> dict[str, Any]:
    def state(block_id: str) -> dict[str, Any]:
        value = values.get(block_id)
        if block_id in ("severity", "type", "tlp"):
            return {"type": "static_select", "selected_option": {"value": value} if value else None}
        if block_id in ("countries", "sectors"):
            return {"type": "multi_static_select", "selected_options": [{"value": v} for v in value or []]}
        return {"type": "plain_text_input", "value": value}

    return {
        "type": "view_submission",
        "team": {"id": "T0CSIRT"},
        "user": {"id": user},
        "api_app_id": "A0PUENTE",
        "token": "legacy",
        "trigger_id": trigger_id(),
        "view": {
            "id": "V0NEWTICKET",
            "type": "modal",
            "callback_id": "puente.new",
            "private_metadata": json.dumps({"channel": "C0SOC", "language": "en"}),
            "state": {"values": {b: {"value": state(b)} for b in MODAL_BLOCKS}},
        },
    }


def test_modal_submission_with_bad_fields_shows_errors_next_to_them(client: TestClient, slack: SlackStandIn) -> None:
    response = interact(
        client,
        submission(
            {
                "title": "Ransomware at the port",
                "severity": "high",
                "countries": ["BR"],
                "other_countries": "XX",
                "tlp": "amber",
                "observables": "198.51.100.7\n1.2.3.4.5.6",
            }
        ),
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert answer["errors"]["other_countries"] == "Unknown country 'XX': use ISO 3166 codes such as BR, AR, MX."
    assert "Malformed IP address '1.2.3.4.5.6'" in answer["errors"]["observables"]
    assert set(answer["errors"]) == {"other_countries", "observables"}
    nothing_came_of(client, slack, "chat.postMessage")


def test_modal_submission_opens_the_ticket_and_posts_it_in_the_channel(client: TestClient, slack: SlackStandIn) -> None:
    response = interact(
        client,
        submission(
            {
                "title": "Ransomware at the port",
                "description": 'Encrypted "crane" controllers\nsince 03:00',
                "severity": "critical",
                "type": "malicious-code/c2-server",
                "countries": ["CO", "PA"],
                "other_countries": "ke",
                "sectors": ["transportation", "government-national"],
                "tlp": "amber+strict",
                "observables": "hxxp://evil[.]example/payload\n203.0.113.9",
            }
        ),
    )
    assert response.status_code == 200 and response.text == ""  # closes the modal
    [posted] = slack.wait_for("chat.postMessage")
    assert posted.params["channel"] == "C0SOC"
    text = all_text(posted.params)
    assert "Opened INC-2026-0001." in text
    # the description's lines, each marked as the analyst's own (Slack shows "&gt; " as a quote)
    assert '&gt; Encrypted "crane" controllers\n&gt; since 03:00' in text
    assert "CO (Colombia), PA (Panama), KE (Kenya) — cross-border" in text
    assert "critical" in text and "TLP:AMBER+STRICT" in text and "malicious-code/c2-server" in text
    assert "transportation, government-national" in text
    assert "url: http://evil.example/payload" in text and "ipv4-addr: 203.0.113.9" in text


def test_button_press_runs_its_command_as_the_presser(
    client: TestClient, slack: SlackStandIn, slack_runtime: Runtime
) -> None:
    reference = open_ticket(slack_runtime)
    [message] = render_reply(CommandCore(slack_runtime).handle(Command(f"show {reference}", "slack", ANA)))
    assert press(client, slack, buttons(message)["Resolve"]).status_code == 200
    [reply] = slack.wait_for("response:press")
    assert reply.params["response_type"] == "in_channel"
    assert reply.params["replace_original"] is False
    assert f"{reference} is now resolved." in reply.params["text"]
    press(client, slack, buttons(message)["Resolve"], user=NOBODY, name="stranger")
    [refused] = slack.wait_for("response:stranger")
    assert refused.params["response_type"] == "ephemeral" and "--slack U0NOBODY" in refused.params["text"]


def test_picker_choice_runs_the_command_with_the_chosen_value(
    client: TestClient, slack: SlackStandIn, slack_runtime: Runtime
) -> None:
    reference = open_ticket(slack_runtime)
    picker = Button(
        "Severity", f"update {reference}", choices=((Phrase("Critical"), "sev=critical"), (Phrase("Low"), "sev=low"))
    )
    [message] = render_reply(Reply(text="Change severity", buttons=[picker], ticket=reference))
    element = buttons(message)["Severity"]
    assert element["type"] == "static_select"
    assert [o["value"] for o in element["options"]] == [
        f"update {reference} sev=critical",
        f"update {reference} sev=low",
    ]
    press(client, slack, element)
    [reply] = slack.wait_for("response:press")
    assert f"Updated {reference}." in reply.params["text"]
    assert "*Severity*\ncritical" in all_text(reply.params)


def test_page_arrives_as_a_dm_and_is_updated_in_place(
    client: TestClient, slack: SlackStandIn, slack_runtime: Runtime
) -> None:
    reference = open_ticket(slack_runtime)
    notifier = SlackNotifier.from_settings(slack_runtime.settings)
    ana = Recipient("ana", {"slack": ANA})
    page = Notice(
        text=f"🚨 Page: {reference} is critical and cross-border",
        fields=(("Severity", "critical"), ("Countries", "BR, AR")),
        actions=(Action("Show", f"show {reference}", "primary"),),
        ticket=reference,
    )
    assert notifier.can_reach(ana) and not notifier.can_reach(Recipient("bob"))
    handle = notifier.send(ana, page)
    [sent] = slack.of("chat.postMessage")
    assert sent.params["channel"] == ANA and sent.token == BOT_TOKEN
    assert handle == "D0ANA:1700000000.000001"
    assert f"Page: {reference} is critical" in sent.params["text"]
    # the on-call presses the button in the DM; the command runs as them
    press(client, slack, buttons(sent.params)["Show"], name="dm")
    [shown] = slack.wait_for("response:dm")
    assert reference in shown.params["text"]
    notifier.update(ana, handle, Notice(text=f"✅ Page for {reference} acknowledged by ana", ticket=reference))
    [updated] = slack.of("chat.update")
    assert updated.params["channel"] == "D0ANA" and updated.params["ts"] == "1700000000.000001"
    assert updated.params["text"] == f"✅ Page for {reference} acknowledged by ana"
    assert buttons(updated.params) == {}


def test_a_page_slack_refuses_raises_delivery_error_for_the_caller_to_retry_or_escalate(
    slack_runtime: Runtime, slack: SlackStandIn
) -> None:
    notifier = SlackNotifier.from_settings(slack_runtime.settings)
    with pytest.raises(DeliveryError, match="channel_not_found"):
        notifier.send(Recipient("gone", {"slack": GONE}), Notice(text="Page: INC-2026-0001"))
    with pytest.raises(DeliveryError, match="expected channel:ts"):
        notifier.update(Recipient("ana", {"slack": ANA}), "console:3", Notice(text="acknowledged"))


def test_without_slack_settings_there_is_no_slack_endpoint(
    database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    app = create_app(make_runtime(database_url, clock, tmp_path))
    assert app.state.slack is None
    with TestClient(app) as plain:
        assert plain.post("/slack/events", content="x").status_code in (404, 405)


def test_bad_signature_is_refused_with_401(client: TestClient, slack: SlackStandIn) -> None:
    body = urlencode({"command": "/incident", "text": "list", "user_id": ANA, "response_url": slack.response_url("x")})
    forged = client.post("/slack/events", content=body, headers=signed_headers(body, secret="not-the-secret"))
    assert forged.status_code == 401
    tampered = signed_headers(body)
    response = client.post("/slack/events", content=body.replace("list", "help"), headers=tampered)
    assert response.status_code == 401
    nothing_came_of(client, slack, "response:x")


def test_stale_timestamp_is_refused_with_401(client: TestClient, slack: SlackStandIn) -> None:
    body = urlencode({"command": "/incident", "text": "list", "user_id": ANA, "response_url": slack.response_url("x")})
    replayed = client.post(
        "/slack/events", content=body, headers=signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    )
    assert replayed.status_code == 401
    nothing_came_of(client, slack, "response:x")


def within_limits(message: dict[str, Any]) -> None:
    assert len(message["blocks"]) <= MAX_BLOCKS
    for block in message["blocks"]:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
        assert len(block.get("fields", [])) <= 10


def test_a_long_timeline_is_split_into_messages_within_block_kit_limits() -> None:
    lines = [f"2026-01-05 12:{i // 60 % 60:02d}:{i % 60:02d} ana noted: event {i:04d} " + "x" * 90 for i in range(2000)]
    reply = Reply(
        text="Timeline of INC-2026-0001 (2000 events):",
        lines=lines,
        buttons=[Button("Show", "show INC-2026-0001")],
        ticket="INC-2026-0001",
    )
    messages = render_reply(reply)
    assert len(messages) > 1
    for message in messages:
        within_limits(message)
    shown = "\n".join(b["text"]["text"] for m in messages for b in m["blocks"] if b["type"] == "section")
    positions = [shown.index(f"event {i:04d} ") for i in range(2000)]
    assert positions == sorted(positions)  # every event, in order
    assert [bool(buttons(m)) for m in messages] == [False] * (len(messages) - 1) + [True]
    assert messages[1]["text"] == f"Timeline of INC-2026-0001 (2000 events): (part 2 of {len(messages)})"


def test_one_overlong_line_and_hostile_markup_stay_within_limits_and_inert() -> None:
    [message] = render_reply(Reply(text="<!channel> look & see", lines=["y" * 7000]))
    within_limits(message)
    assert message["blocks"][0]["text"]["text"] == "&lt;!channel&gt; look &amp; see"
    assert sum(len(b["text"]["text"]) for b in message["blocks"][1:]) == 7000


def test_share_confirmation_shows_the_recipient_preview_and_long_labels_fit() -> None:
    preview = "Share INC-2026-0001 at TLP:AMBER with: CSIRT-BR (peer), CSIRT-AR (peer), ISAC-Energia (partner)?"
    share = Button("Share", "share INC-2026-0001 confirm", ButtonStyle.PRIMARY, confirm=Phrase(preview))
    decline = Button(
        "Decline",
        "decline REQ-1",
        ButtonStyle.DANGER,
        choices=tuple((Phrase(f"reason {i} " * 10), f"r{i}") for i in range(3)),
    )
    [message] = render_reply(Reply(text="Ready to share", buttons=[share, decline]))
    elements = buttons(message)
    assert elements["Share"]["confirm"]["text"]["text"] == preview
    assert elements["Share"]["style"] == "primary"
    assert all(len(o["text"]["text"]) <= 75 for o in elements["Decline"]["options"])
    notice = render_notice(Notice(text="x", fields=tuple((f"f{i}", "v" * 2500) for i in range(600))))
    within_limits(notice)


def test_timeline_through_slack_respects_the_limits(
    client: TestClient, slack: SlackStandIn, slack_runtime: Runtime
) -> None:
    reference = open_ticket(slack_runtime)
    core = CommandCore(slack_runtime)
    for i in range(30):
        assert core.handle(Command(f"note {reference} step {i}: " + "analysis " * 25, "slack", ANA)).ok
    slash(client, slack, f"timeline {reference}")
    [reply] = slack.wait_for("response:cmd")
    within_limits(reply.params)
    assert len([b for b in reply.params["blocks"] if b["type"] == "section"]) > 2
    assert "step 29" in all_text(reply.params)


def test_socket_mode_starts_against_the_stand_in_and_serves_a_slash_command(
    database_url: str, clock: ManualClock, tmp_path: Path, slack: SlackStandIn
) -> None:
    runtime = make_runtime(
        database_url,
        clock,
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN="xapp-puente-test",
        SLACK_API_URL=slack.api_url,
    )
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST, addresses={"slack": ANA})
    app = create_app(runtime)
    assert "/slack/events" not in [getattr(r, "path", "") for r in app.routes]  # no signing secret: no HTTP endpoint
    with TestClient(app):
        [opened] = slack.wait_for("apps.connections.open")
        assert opened.token == "xapp-puente-test"
        slack.wait_for("socket:connect")
        slack.push(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "command": "/incident",
                    "text": "new Socket ticket countries=MX",
                    "user_id": ANA,
                    "channel_id": "C0SOC",
                    "team_id": "T0CSIRT",
                    "response_url": slack.response_url("socket"),
                    "trigger_id": "1.2.3",
                },
            }
        )
        [ack] = slack.wait_for("socket:ack")
        assert ack.params["envelope_id"] == "env-1"
        [reply] = slack.wait_for("response:socket")
        assert "Opened INC-2026-0001." in reply.params["text"]
    runtime.engine.dispose()


def test_the_manifest_installs_the_command_interactivity_and_scopes_puente_uses() -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[1] / "bot" / "slack" / "manifest.yaml").read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/incident" and command["url"].endswith("/slack/events")
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert {"commands", "chat:write", "chat:write.public", "users:read"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
    assert "files:write" in manifest["oauth_config"]["scopes"]["bot"]  # reports are uploaded as files
    # Looking for a page whose send went unanswered, in a DM or a channel.
    assert {"im:write", "im:history", "channels:history", "groups:history"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True  # pages arrive as DMs
