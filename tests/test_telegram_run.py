"""`puente run` with Telegram configured, as an operator starts it: webhook served, pages wired."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner

from puente.cli.main import main
from puente.services.context import Runtime
from puente.services.users import service as users
from puente.settings import load_settings
from puente.storage.migrate import upgrade
from puente.storage.models import Role
from tests.telegram_standin import SECRET, TOKEN, BotApiStandIn, TelegramUser, bot_api, free_port
from tests.test_cli import PUENTE, env  # noqa: F401 - env is a fixture


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    with bot_api() as standin:
        yield standin


@pytest.fixture
def telegram_env(env: dict[str, str], api: BotApiStandIn) -> dict[str, str]:  # noqa: F811 - the imported fixture
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_API_URL=api.url, PUENTE_PORT=str(free_port())
    )
    upgrade(env["PUENTE_DATABASE_URL"])
    return env


def test_run_serves_the_telegram_webhook(telegram_env: dict[str, str], api: BotApiStandIn) -> None:
    runtime = Runtime.from_settings(load_settings(PUENTE_DATABASE_URL=telegram_env["PUENTE_DATABASE_URL"]))
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST, addresses={"telegram": "1001"})
    runtime.engine.dispose()
    base = f"http://127.0.0.1:{telegram_env['PUENTE_PORT']}"
    server = subprocess.Popen(
        [*PUENTE, "run"],
        env=telegram_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "puente run did not start within 30 s"
                time.sleep(0.2)
        ana = TelegramUser(f"{base}/telegram/webhook", 1001, "Ana")
        assert ana.post(ana.message_update("/incident list"), secret=None).status_code == 403
        assert ana.says("/incident new Phishing wave countries=BR").status_code == 200
        assert "Opened INC-" in api.of("sendMessage")[0].text
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_run_in_webhook_mode_needs_the_secret(telegram_env: dict[str, str]) -> None:
    telegram_env["TELEGRAM_WEBHOOK_SECRET"] = ""
    result = CliRunner().invoke(main, ["run"], env=telegram_env)
    assert result.exit_code != 0
    assert "bad setting: TELEGRAM_WEBHOOK_SECRET: required with TELEGRAM_MODE=webhook" in result.output
