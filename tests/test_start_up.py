"""Starting Puente as an operator would: fast commands, and every start-up failure as one line with its fix."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory

from puente.storage.migrate import alembic_config, head_revision
from tests.running import PUENTE, running


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return cli_env


def puente(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PUENTE, *args], env=env, capture_output=True, text=True, timeout=120)


def imported_modules(env: dict[str, str], *args: str) -> set[str]:
    """The modules a `puente` command imports, from Python's own -X importtime report."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "puente.cli", *args], env=env, capture_output=True, text=True
    )
    return {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    return lines[0]


def test_help_and_version_import_nothing_of_the_database_stix_or_chat(env: dict[str, str]) -> None:
    for args in (["--help"], ["--version"]):
        modules = imported_modules(env, *args)
        assert "click" in modules
        heavy = {m for m in modules if m.split(".")[0] in {"sqlalchemy", "sqlmodel", "stix2", "slack_bolt", "telegram"}}
        assert heavy == set(), f"puente {' '.join(args)} imports {sorted(heavy)[:5]}"
    assert puente(env, "--version").stdout.strip().startswith("puente, version ")


def test_say_imports_neither_alembic_nor_a_terminal_ui_nor_postgres_on_sqlite(env: dict[str, str]) -> None:
    assert puente(env, "db", "upgrade").returncode == 0
    modules = imported_modules(env, "say", "--as", "ana", "/incident help")
    assert "puente.bot.core" in modules
    for library in ("alembic", "prompt_toolkit", "psycopg", "uvicorn", "mako"):
        assert library not in modules, f"puente say imports {library}"


def test_the_schema_head_is_read_without_alembic_and_agrees_with_it() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_an_unreachable_postgresql_is_one_line_with_the_fix(env: dict[str, str]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env["PUENTE_DATABASE_URL"] = f"postgresql+psycopg://puente:s3cret@127.0.0.1:{port}/puente"
    for args in (["say", "--as", "ana", "/incident list"], ["run"]):
        line = one_line_error(puente(env, *args))
        assert "cannot open the database at postgresql+psycopg://puente:***@127.0.0.1" in line
        assert "s3cret" not in line and "PUENTE_DATABASE_URL" in line


def test_an_unmigrated_database_is_one_line_with_the_fix(env: dict[str, str]) -> None:
    line = one_line_error(puente(env, "run"))
    assert "is not migrated" in line and "run `puente db upgrade`" in line


def test_a_database_migrated_by_a_newer_puente_is_one_line_with_the_fix(env: dict[str, str]) -> None:
    assert puente(env, "db", "upgrade").returncode == 0
    database = env["PUENTE_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    line = one_line_error(puente(env, "say", "--as", "ana", "/incident list"))
    assert "is at revision 9999, which this Puente does not know" in line and "backup" in line


def test_a_busy_port_is_one_line_naming_the_setting_before_any_banner(env: dict[str, str]) -> None:
    assert puente(env, "db", "upgrade").returncode == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env["PUENTE_PORT"] = str(busy.getsockname()[1])
        result = puente(env, "run")
    line = one_line_error(result)
    assert "already in use" in line and "PUENTE_PORT" in line
    assert "Puente (" not in result.stdout


def test_run_answers_as_soon_as_it_says_it_listens_and_warns_of_a_missing_identity(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert puente(env, "db", "upgrade").returncode == 0
    del env["PUENTE_CSIRT_NAME"], env["PUENTE_CSIRT_COUNTRY"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env["PUENTE_PORT"] = str(port)
    with running(env, tmp_path / "run.log"):
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=60)
    assert response.status_code == 200
    warning = "WARNING: PUENTE_CSIRT_NAME and PUENTE_CSIRT_COUNTRY not set: this Puente introduces itself to peers as"
    assert warning in (tmp_path / "run.log").read_text()
