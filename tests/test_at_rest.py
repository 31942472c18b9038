"""What Puente keeps, as someone else on the machine or an anonymous caller would find it: a private
SQLite file, a health probe that says up or down and nothing more, database errors without the
values of their statements."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from puente.server.app import create_app
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.settings import load_settings
from puente.storage import migrate
from puente.storage.engine import make_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_file_and_its_folder_are_created_private(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "data"
    migrate.upgrade(f"sqlite:///{folder / 'puente.db'}")
    assert mode(folder) == 0o700
    assert mode(folder / "puente.db") == 0o600
    for journal in folder.glob("puente.db-*"):  # SQLite gives its WAL files the database file's mode
        assert mode(journal) & 0o077 == 0, journal


def test_a_world_readable_sqlite_file_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "puente.db"
    migrate.upgrade(f"sqlite:///{database}")
    database.chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o600


def test_healthz_tells_the_anonymous_up_or_down_and_nothing_else(tmp_path: Path) -> None:
    # Nothing listens on port 9 of loopback: the database is down.
    url = "postgresql+psycopg://puente_role:hunter2@127.0.0.1:9/puente_db?connect_timeout=2"
    settings = load_settings(PUENTE_DATABASE_URL=url, PUENTE_VAR_DIR=str(tmp_path / "var"))
    runtime = Runtime(settings, make_engine(url), ManualClock())
    with TestClient(create_app(runtime)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down"}


def test_healthz_up(runtime: Runtime) -> None:
    with TestClient(create_app(runtime)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_database_errors_do_not_carry_the_values_of_their_statements(runtime: Runtime) -> None:
    secret = "s3cret-" + "x" * 300
    with pytest.raises(DBAPIError) as raised, runtime.engine.begin() as connection:
        connection.execute(text("INSERT INTO no_such_table VALUES (:secret)"), {"secret": secret})
    assert "s3cret" not in str(raised.value)
