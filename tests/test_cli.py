"""The `puente` command line end to end, as an operator or a script runs it, on a temporary SQLite file."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.running import PUENTE, running


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return cli_env


def puente(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PUENTE, *args], env=env, capture_output=True, text=True, timeout=60, cwd=cwd)


def test_operator_and_analyst_flow(env: dict[str, str], tmp_path: Path) -> None:
    unmigrated = puente(env, "say", "--as", "ana", "/incident list")
    assert unmigrated.returncode != 0
    assert "run `puente db upgrade`" in unmigrated.stderr

    assert puente(env, "db", "upgrade").returncode == 0
    assert puente(env, "users", "add", "ana", "--role", "analyst", "--slack", "U0ANA").returncode == 0
    assert puente(env, "users", "add", "lucia", "--role", "lead", "--tz", "America/Bogota").returncode == 0
    added = puente(
        env, "users", "add", "beto", "--role", "oncall", "--telegram", "1002", "--chat", "matrix:@beto:x.org"
    )
    assert added.returncode == 0, added.stderr
    duplicate = puente(env, "users", "add", "ana")
    assert duplicate.returncode == 1 and "exists already" in duplicate.stderr
    taken = puente(env, "users", "add", "carla", "--chat", "telegram:1002")
    assert taken.returncode == 1 and "Telegram id 1002 already belongs to beto." in taken.stderr
    misspelt = puente(env, "users", "add", "carla", "--chat", "Slack:U0CARLA")
    assert misspelt.returncode == 1 and "Unknown chat platform 'Slack'" in misspelt.stderr
    listed = puente(env, "users", "list").stdout.splitlines()
    assert listed == [
        "ana\tanalyst\tslack=U0ANA",
        "beto\toncall\tmatrix=@beto:x.org telegram=1002",
        "lucia\tlead\ttz=America/Bogota",
    ]

    opened = puente(
        env,
        "say",
        "--as",
        "ana",
        "/incident new Ransomware at the port sev=critical countries=PA,CO ioc=evil[.]example",
    )
    assert opened.returncode == 0, opened.stderr
    assert "Opened INC-" in opened.stdout and "Severity: critical" in opened.stdout
    reference = opened.stdout.split("Opened ", 1)[1].split(".", 1)[0]

    refused = puente(env, "say", "--as", "ana", f"/incident close {reference}")
    assert refused.returncode == 1
    assert "needs the lead role" in refused.stdout

    assert puente(env, "say", "--as", "ana", f"/incident resolve {reference}").returncode == 0
    closed = puente(env, "say", "--as", "lucia", f"/incident close {reference}")
    assert closed.returncode == 0 and "is now closed" in closed.stdout

    timeline = puente(env, "say", "--as", "lucia", f"/incident timeline {reference}").stdout
    assert "· ana · opened:" in timeline and "· lucia · moved to closed: resolved → closed" in timeline

    assert puente(env, "users", "remove", "ana").returncode == 0
    gone = puente(env, "say", "--as", "ana", "/incident list")
    assert gone.returncode == 1 and "puente users add ana --role analyst" in gone.stdout


def test_console_reads_commands_from_stdin(env: dict[str, str]) -> None:
    assert puente(env, "db", "upgrade").returncode == 0
    session = subprocess.run(
        [*PUENTE, "console", "--as", "first"],
        input="/incident new Scan from abroad countries=CO sev=low\n/incident list\nquit\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert session.returncode == 0, session.stderr
    assert "First run: first is now this Puente's admin" in session.stdout
    assert "Opened INC-" in session.stdout
    assert "1 open ticket:" in session.stdout


def test_a_bad_setting_stops_start_up_with_one_line(env: dict[str, str]) -> None:
    env["PUENTE_CSIRT_COUNTRY"] = "Colombia"
    result = puente(env, "db", "upgrade")
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1
    assert "PUENTE_CSIRT_COUNTRY" in error_lines[0] and "ISO 3166" in error_lines[0]


def test_run_serves_healthz(env: dict[str, str], tmp_path: Path) -> None:
    assert puente(env, "db", "upgrade").returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env["PUENTE_PORT"] = str(port)
    with running(env, tmp_path / "run.log"):
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=60)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
