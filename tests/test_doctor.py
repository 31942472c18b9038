"""`puente doctor` and `puente config`, and the warnings an operator gets at start-up for a mistyped .env."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.peer_servers import COLLECTION, PASSWORD, USER, medallion
from tests.running import PUENTE
from tests.telegram_standin import TOKEN, bot_api


def puente(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PUENTE, *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd)


def test_a_mistyped_variable_in_dotenv_is_warned_about_with_the_right_name(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("PUENTE_CSIRT_CONTRY=BR\n")
    upgraded = puente(cli_env, "db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0
    assert upgraded.stderr.splitlines() == [
        "warning: unknown setting PUENTE_CSIRT_CONTRY (.env): did you mean PUENTE_CSIRT_COUNTRY?"
    ]
    report = puente(cli_env, "doctor", cwd=tmp_path)
    assert report.returncode == 1
    assert "FAIL  PUENTE_CSIRT_CONTRY: unknown setting PUENTE_CSIRT_CONTRY (.env): did you mean" in report.stdout


def test_config_shows_each_setting_its_source_and_no_secret(cli_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PUENTE_PORT=8099\nTELEGRAM_BOT_TOKEN=123:very-secret\n")
    cli_env["PUENTE_DATABASE_URL"] = "postgresql+psycopg://puente:hunter2@127.0.0.1:5432/puente"
    shown = puente(cli_env, "config", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "PUENTE_PORT=8099  (.env)" in lines
    assert "PUENTE_CSIRT_COUNTRY=CO  (environment)" in lines
    assert "PUENTE_TAXII_PAGE_SIZE=1000  (default)" in lines
    assert "TELEGRAM_BOT_TOKEN=****  (.env)" in lines
    assert "PUENTE_DATABASE_URL=postgresql+psycopg://puente:***@127.0.0.1:5432/puente  (environment)" in lines
    assert "very-secret" not in shown.stdout and "hunter2" not in shown.stdout


def test_doctor_checks_database_peers_and_chat_tokens_one_line_each(cli_env: dict[str, str], tmp_path: Path) -> None:
    with bot_api() as telegram, medallion(tmp_path) as taxii:
        cli_env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.url)
        unmigrated = puente(cli_env, "doctor", cwd=tmp_path)
        assert unmigrated.returncode == 1
        assert "FAIL  migrations: at nothing, this Puente expects" in unmigrated.stdout
        assert "Fix: puente db upgrade" in unmigrated.stdout

        assert puente(cli_env, "db", "upgrade", cwd=tmp_path).returncode == 0
        added = puente(
            cli_env,
            *("peers", "add", "cert-br", "--countries", "BR", "--taxii-url", taxii.discovery),
            *("--collection", COLLECTION, "--user", USER, "--password", PASSWORD),
            cwd=tmp_path,
        )
        assert added.returncode == 0, added.stderr
        healthy = puente(cli_env, "doctor", cwd=tmp_path)
        assert healthy.returncode == 0, healthy.stdout
        lines = healthy.stdout.splitlines()
        assert lines[0] == "ok    identity: CSIRT-CO (CO)"
        assert any(line.startswith("ok    peer cert-br:") for line in lines)
        assert "ok    Telegram token: bot @" in healthy.stdout
        assert lines[-1] == "all good"

        cli_env["TELEGRAM_BOT_TOKEN"] = "999:wrong"
        refused = puente(cli_env, "doctor", cwd=tmp_path)
        assert refused.returncode == 1
        assert (
            "FAIL  Telegram token: Telegram answered 401 Unauthorized. Fix: check TELEGRAM_BOT_TOKEN" in refused.stdout
        )
