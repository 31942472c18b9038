"""`puente run` with Telegram configured, as an operator starts it: webhook served, pages wired."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from puente.cli.main import main
from puente.services.context import Runtime
from puente.services.users import service as users
from puente.settings import load_settings
from puente.storage.migrate import upgrade
from puente.storage.models import Role
from tests.running import running
from tests.telegram_standin import SECRET, TOKEN, BotApiStandIn, TelegramUser, free_port


@pytest.fixture
def telegram_env(cli_env: dict[str, str], api: BotApiStandIn) -> dict[str, str]:
    env = cli_env
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_API_URL=api.url, PUENTE_PORT=str(free_port())
    )
    upgrade(env["PUENTE_DATABASE_URL"])
    return env


def test_run_serves_the_telegram_webhook(telegram_env: dict[str, str], api: BotApiStandIn, tmp_path: Path) -> None:
    runtime = Runtime.from_settings(load_settings(PUENTE_DATABASE_URL=telegram_env["PUENTE_DATABASE_URL"]))
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST, addresses={"telegram": "1001"})
    runtime.engine.dispose()
    base = f"http://127.0.0.1:{telegram_env['PUENTE_PORT']}"
    with running(telegram_env, tmp_path / "run.log"):
        ana = TelegramUser(f"{base}/telegram/webhook", 1001, "Ana")
        assert ana.post(ana.message_update("/incident list"), secret=None).status_code == 403
        assert ana.says("/incident new Phishing wave countries=BR").status_code == 200
        assert "Opened INC-" in api.of("sendMessage")[0].text


def test_run_in_webhook_mode_needs_the_secret(telegram_env: dict[str, str]) -> None:
    telegram_env["TELEGRAM_WEBHOOK_SECRET"] = ""
    result = CliRunner().invoke(main, ["run"], env=telegram_env)
    assert result.exit_code != 0
    assert "bad setting: TELEGRAM_WEBHOOK_SECRET: required with TELEGRAM_MODE=webhook" in result.output
