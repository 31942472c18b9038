"""Starting Puente as an operator would: fast commands, and every start-up failure as one line with its fix."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlmodel.main import default_registry

from puente.storage import schema
from puente.storage.migrate import alembic_config, head_revision
from puente.storage.types import Table
from tests.peer_servers import free_port
from tests.running import PUENTE, running, start


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


def loaded_modules(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """What a `puente` command printed, and every module loaded when it exited: those imported through
    importlib too (the lazily loaded commands), which -X importtime does not report."""
    report = (
        "import atexit, runpy, sys; atexit.register(lambda: sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules)))"
    )
    run = "sys.argv[0] = 'puente'; runpy.run_module('puente.cli', run_name='__main__')"
    result = subprocess.run(
        [sys.executable, "-c", f"{report}; {run}", *args], env=env, capture_output=True, text=True, timeout=120
    )
    printed, _, modules = result.stderr.rpartition("\nMODULES ")
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout, printed), set(modules.split())


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


def test_say_show_loads_only_the_ticket_commands_and_no_stix_taxii_or_migration_library(env: dict[str, str]) -> None:
    assert puente(env, "db", "upgrade").returncode == 0
    assert puente(env, "users", "add", "ana", "--role", "analyst").returncode == 0
    opened = puente(env, "say", "--as", "ana", "/incident new Start-up check sev=high")
    reference = opened.stdout.split()[1].rstrip(".")
    shown, modules = loaded_modules(env, "say", "--as", "ana", f"/incident show {reference}")
    assert shown.returncode == 0 and f"{reference}: Start-up check" in shown.stdout, shown.stderr
    # Nor cryptography: PUENTE_SECRET_KEY is set (cli_env), but showing seals and opens no peer's secret.
    libraries = {"stix2", "stix2patterns", "taxii2client", "requests", "alembic", "psycopg", "prompt_toolkit", "fpdf"}
    libraries |= {"cryptography"}
    # babel.messages compiles .po files: `say … new` compiled them, so `show` reads what it kept.
    heavy = sorted(
        m
        for m in modules
        if m.split(".")[0] in libraries or m in ("sqlalchemy.dialects.postgresql", "babel.messages.pofile")
    )
    assert heavy == [], f"puente say … show loads {heavy[:5]}"
    handlers = {m.removeprefix("puente.bot.handlers.") for m in modules if m.startswith("puente.bot.handlers.")}
    assert "tickets" in handlers
    assert handlers.isdisjoint({"assistance", "sharing", "exchange", "reports", "oncall", "web", "help"}), handlers
    # Showing reads the ticket's requests, deliveries and publications: nothing that sends or publishes.
    senders = {"assistance.messages", "exchange.service", "handling.decision", "peers.flows", "feeds.publishing"}
    assert sorted(m for m in senders if f"puente.services.{m}" in modules) == []
    # Nor the tables of the TAXII server, the web view, chat deliveries or what peers sent: each costs start-up
    # time to map.
    tables = {"collections", "partners", "stix_objects", "web_sessions", "chat_requests", "inbox", "held_messages"}
    assert sorted(t for t in tables if f"puente.storage.{t}" in modules) == []


def test_what_start_up_imported_is_frozen_out_of_the_garbage_collectors_walks(env: dict[str, str]) -> None:
    """Modules, classes and tables live as long as the process: walking them at every full collection and
    once more at exit cost a one-shot command a good part of its CPU."""
    assert puente(env, "db", "upgrade").returncode == 0
    assert puente(env, "users", "add", "ana", "--role", "analyst").returncode == 0
    report = "import atexit, gc, sys; atexit.register(lambda: print(gc.get_freeze_count(), len(gc.get_objects())))"
    run = "sys.argv[0] = 'puente'; runpy.run_module('puente.cli', run_name='__main__')"
    result = subprocess.run(
        [sys.executable, "-c", f"import runpy; {report}; {run}", "say", "--as", "ana", "/incident list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    frozen, walked = map(int, result.stdout.splitlines()[-1].split())
    assert frozen > walked, f"{frozen} objects frozen, {walked} left to the collector"


def test_every_table_derives_from_table_so_its_schema_is_built_on_first_use() -> None:
    tables = [mapper.class_ for mapper in default_registry.mappers]
    assert {t.__table__.name for t in tables} == set(schema.metadata.tables)
    assert [t.__name__ for t in tables if not issubclass(t, Table)] == []
    assert all(t.model_config.get("defer_build") for t in tables)


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


DATABASE_LIBRARIES = {"sqlalchemy", "sqlmodel", "alembic", "psycopg"}


def test_say_hands_its_command_to_the_running_puente_and_loads_no_database_library(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert puente(env, "db", "upgrade").returncode == 0
    assert puente(env, "users", "add", "ana", "--role", "analyst").returncode == 0
    reference = puente(env, "say", "--as", "ana", "/incident new Start-up check sev=high").stdout.split()[1].rstrip(".")
    env["PUENTE_PORT"] = str(free_port())
    with running(env, tmp_path / "run.log"):
        shown, modules = loaded_modules(env, "say", "--as", "ana", f"/incident show {reference}")
        assert shown.returncode == 0 and f"{reference}: Start-up check" in shown.stdout, shown.stderr
        assert sorted(m for m in modules if m.split(".")[0] in DATABASE_LIBRARIES) == []
        assert "puente.bot.core" not in modules
        opened = puente(env, "say", "--as", "ana", "/incident new Said to the running Puente sev=low")
        assert opened.returncode == 0 and opened.stdout.startswith("Opened INC-"), opened.stderr
        reported = puente(env, "say", "--as", "ana", f"/incident report {reference}")
        saved = Path(reported.stdout.rpartition("saved to ")[2].strip())  # named in full: said from any folder
        assert saved.is_absolute() and saved.read_text().count("TLP:AMBER") >= 2, reported.stdout
        refused = puente(env, "say", "--as", "ana", "/incident show INC-1999-0001")
        assert refused.returncode == 1 and refused.stdout.startswith("error: "), refused.stdout
        # Other settings make another Puente: the command runs here, on what those settings name.
        elsewhere, modules = loaded_modules({**env, "PUENTE_LANGUAGE": "es"}, "say", "--as", "ana", "/incident list")
        assert elsewhere.returncode == 0 and "Said to the running Puente" in elsewhere.stdout, elsewhere.stderr
        assert "sqlalchemy" in modules
    assert not (tmp_path / "var" / "say.sock").exists(), "the socket goes with the Puente"
    listed, modules = loaded_modules(env, "say", "--as", "ana", "/incident list")
    assert listed.returncode == 0 and "Said to the running Puente" in listed.stdout and "sqlalchemy" in modules


def test_a_socket_left_by_a_killed_puente_is_passed_by_then_taken_over(env: dict[str, str], tmp_path: Path) -> None:
    assert puente(env, "db", "upgrade").returncode == 0
    assert puente(env, "users", "add", "ana", "--role", "analyst").returncode == 0
    env["PUENTE_PORT"] = str(free_port())
    killed = start(env, tmp_path / "run.log")
    killed.kill()
    killed.wait()
    assert (tmp_path / "var" / "say.sock").is_socket()
    listed, modules = loaded_modules(env, "say", "--as", "ana", "/incident list")
    assert listed.returncode == 0 and "No open tickets" in listed.stdout and "sqlalchemy" in modules, listed.stderr
    with running(env, tmp_path / "run.log"):
        listed, modules = loaded_modules(env, "say", "--as", "ana", "/incident list")
    assert listed.returncode == 0 and "No open tickets" in listed.stdout and "sqlalchemy" not in modules


def test_a_puente_that_takes_the_command_and_stops_before_answering_is_one_line_not_a_second_run(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert puente(env, "db", "upgrade").returncode == 0
    (tmp_path / "var").mkdir(exist_ok=True)
    taken: list[bytes] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
        listening.bind(str(tmp_path / "var" / "say.sock"))
        listening.listen()

        def take_and_go() -> None:
            connection, _ = listening.accept()
            with connection:
                taken.append(connection.makefile("rb").readline())

        stopping = threading.Thread(target=take_and_go)
        stopping.start()
        said = puente(env, "say", "--as", "ana", "/incident new Lost sev=low")
        stopping.join()
    assert b"/incident new Lost sev=low" in taken[0]
    assert "stopped before answering" in one_line_error(said)
