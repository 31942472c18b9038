"""Shared fixtures: migrated databases (SQLite always, PostgreSQL when configured) and runtimes."""

from __future__ import annotations

import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from puente.server.app import create_app
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.settings import load_settings
from puente.storage.engine import make_engine
from puente.storage.migrate import upgrade
from tests.paging import RecordingNotifier, add_team, write_policy
from tests.slack_api import SlackStandIn
from tests.telegram_standin import BotApiStandIn, bot_api

PG_ENV = "PUENTE_TEST_DATABASE_URL"
PG_SKIP = f"PostgreSQL variant: set {PG_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test to run it"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "puente.db"
    upgrade(f"sqlite:///{path}")
    return path


@contextmanager
def _postgres_schema() -> Iterator[str]:
    """A URL whose connections use a new, empty schema of the test database; dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "puente.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with _postgres_schema() as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Every storage test runs on both back ends; PostgreSQL skips with a reason when not configured."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture(params=["sqlite", "postgres"])
def unmigrated_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without tables, on both back ends, for tests that run the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'puente.db'}"
    else:
        with _postgres_schema() as url:
            yield url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


# Seals the peer secrets tests store (`puente secret-key` made it).
SECRET_KEY = "C7auZHfaVjIldAz4XDuTsLlIyI8FYT0E8VPdAHVXGzI="


def make_runtime(url: str, clock: ManualClock, tmp_path: Path, **settings: object) -> Runtime:
    values: dict[str, object] = {
        "PUENTE_SECRET_KEY": SECRET_KEY,
        "PUENTE_DATABASE_URL": url,
        "PUENTE_CSIRT_NAME": "CSIRT-CO",
        "PUENTE_CSIRT_COUNTRY": "CO",
        "PUENTE_VAR_DIR": str(tmp_path / "var"),
        "PUENTE_BASE_URL": "http://127.0.0.1:8080",
    }
    values.update(settings)
    return Runtime(load_settings(**values), make_engine(url), clock)


@pytest.fixture
def runtime(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[Runtime]:
    rt = make_runtime(database_url, clock, tmp_path)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """The Slack Web API on loopback, recording what Slack (and so the analyst) receives."""
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    """Telegram's Bot API on loopback, recording what the bot said."""
    with bot_api() as standin:
        yield standin


@pytest.fixture
def paged_team(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[Runtime]:
    """ana (analyst, Bogotá), bob and carla (oncall), dora (lead); a critical ticket pages bob, then carla, then
    the SOC channel, and a notifier records what each would see."""
    rt = make_runtime(database_url, clock, tmp_path, PUENTE_ESCALATION_POLICIES=str(write_policy(tmp_path)))
    rt.notifiers.append(RecordingNotifier())
    add_team(rt)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def browser(runtime: Runtime) -> Iterator[TestClient]:
    """A browser, not signed in yet, on the web view of the test's `runtime`."""
    with TestClient(create_app(runtime), base_url="http://127.0.0.1:8080", follow_redirects=False) as client:
        yield client


@pytest.fixture
def sqlite_runtime(sqlite_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[Runtime]:
    rt = make_runtime(sqlite_url, clock, tmp_path)
    yield rt
    rt.engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per reason for what was skipped (114 PostgreSQL variants are one line, not 114)."""
    reasons = Counter(
        str(report.longrepr[2]).removeprefix("Skipped: ")
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple)
    )
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"skipped {count}: {reason}")


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a `puente` process on a temporary SQLite file, free of the caller's settings."""
    variables = {k: v for k, v in os.environ.items() if not k.startswith(("PUENTE_", "SLACK_", "TELEGRAM_"))}
    variables.update(
        PUENTE_DATABASE_URL=f"sqlite:///{tmp_path / 'puente.db'}",
        PUENTE_CSIRT_NAME="CSIRT-CO",
        PUENTE_CSIRT_COUNTRY="CO",
        PUENTE_VAR_DIR=str(tmp_path / "var"),
        PUENTE_SECRET_KEY=SECRET_KEY,
    )
    return variables
