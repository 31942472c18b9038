"""What Puente keeps, as someone else on the machine or an anonymous caller would find it: peer
secrets encrypted with PUENTE_SECRET_KEY, a private SQLite file, a health probe that says up or down
and nothing more, database errors without the values of their statements, a timeline whose every
event is chained to the one before it, and a peer removed only once its undelivered messages were
shown and their loss recorded."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from puente.cli.main import main
from puente.server.app import create_app
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.errors import Conflict, NotFound
from puente.services.peers import outbox
from puente.services.peers import service as peers
from puente.services.tickets import audit, notes
from puente.services.tickets import service as tickets
from puente.services.users import service as users
from puente.settings import SettingsError, load_settings
from puente.storage import migrate
from puente.storage.engine import make_engine
from puente.storage.models import Role, TimelineEvent
from puente.storage.peers import Peer
from puente.storage.types import UTCDateTime
from tests.conftest import SECRET_KEY, make_runtime
from tests.support import acting_as


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


# Peer secrets ------------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple " * 11  # over 256 characters, as the was


def cli(database_url: str, *args: str, key: str | None = SECRET_KEY, input: str | None = None, **env: str) -> Result:
    variables = {"PUENTE_DATABASE_URL": database_url, "PUENTE_CSIRT_COUNTRY": "CO", "PUENTE_SECRET_KEY": key or ""}
    return CliRunner().invoke(main, list(args), env={**variables, **env}, input=input)


def add_peer(database_url: str, *extra: str, key: str | None = SECRET_KEY, **env: str) -> Result:
    return cli(
        database_url,
        *("peers", "add", "cert-br", "--countries", "BR", "--taxii-url", "https://taxii.cert.br/taxii2/"),
        *("--collection", "inbox", "--user", "csirt-co", *extra),
        key=key,
        **env,
    )


def stored_password(runtime: Runtime) -> str | None:
    with runtime.unit_of_work() as ctx:
        return ctx.session.exec(select(Peer.password)).one()


def test_a_peer_password_is_stored_encrypted_and_opened_only_to_reach_the_peer(
    runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    added = add_peer(database_url, "--password-file", str(password_file))
    assert added.exit_code == 0, added.output
    stored = stored_password(runtime)
    assert stored is not None and stored.startswith("fernet:") and "horse" not in stored
    with runtime.unit_of_work() as ctx:
        target = peers.endpoint(ctx.settings, peers.get(ctx, "cert-br"))
    assert target.password == PASSWORD
    assert "horse" not in repr(target)  # nor in a log line or a traceback that shows the endpoint


def test_the_password_may_come_from_the_environment(runtime: Runtime, database_url: str) -> None:
    added = add_peer(database_url, PUENTE_PEER_PASSWORD=PASSWORD)
    assert added.exit_code == 0, added.output
    with runtime.unit_of_work() as ctx:
        assert peers.endpoint(ctx.settings, peers.get(ctx, "cert-br")).password == PASSWORD


def test_no_peer_secret_is_stored_without_a_key_and_the_refusal_says_how_to_make_one(
    runtime: Runtime, database_url: str
) -> None:
    refused = add_peer(database_url, "--password", PASSWORD, key=None)
    assert refused.exit_code == 1
    assert "PUENTE_SECRET_KEY is not set" in refused.output and "puente secret-key" in refused.output
    assert "horse" not in refused.output
    made = cli(database_url, "secret-key").output.strip()
    Fernet(made)  # a key Fernet takes
    assert add_peer(database_url, "--password", PASSWORD, key=made).exit_code == 0


def test_an_absurdly_long_password_is_refused_in_one_line_without_echoing_it(database_url: str) -> None:
    refused = add_peer(database_url, "--password", "p" * 5000)
    assert refused.exit_code == 1 and "5000 characters long" in refused.output
    assert "ppp" not in refused.output and "Traceback" not in refused.output


def test_plain_peer_secrets_from_before_are_encrypted_once_a_key_is_set(runtime: Runtime, database_url: str) -> None:
    with runtime.unit_of_work() as ctx:
        ctx.session.add(
            Peer(
                name="old",
                countries=["BR"],
                taxii_url="https://x.example/",
                collection_id="c",
                user="u",
                password="plain-old",
                created_at=ctx.now(),
            )
        )
    unkeyed = cli(database_url, "db", "upgrade", key=None)
    assert unkeyed.exit_code == 0
    assert "1 peer(s) have their password or key stored in plain text" in unkeyed.output
    assert "puente secret-key" in unkeyed.output
    assert stored_password(runtime) == "plain-old"
    keyed = cli(database_url, "db", "upgrade")
    assert "encrypted the stored password or key of 1 peer(s)" in keyed.output
    assert (stored_password(runtime) or "").startswith("fernet:")
    with runtime.unit_of_work() as ctx:
        assert peers.endpoint(ctx.settings, peers.get(ctx, "old")).password == "plain-old"


def test_a_bad_secret_key_is_refused_without_repeating_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(PUENTE_SECRET_KEY="not-a-key-hunter2")
    assert "puente secret-key" in str(refused.value) and "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    "key",
    [
        Fernet.generate_key().decode(),
        "not-a-key-hunter2",
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY=",  # 30 bytes, well-formed base64
        Fernet.generate_key().decode().rstrip("="),  # padding missing
        Fernet.generate_key().decode()[:-2] + "é=",  # not ASCII
    ],
)
def test_the_settings_take_the_secret_keys_fernet_takes(key: str) -> None:
    """The settings check a key's form without loading cryptography (every command reads them): the same
    keys as Fernet itself, so a key accepted at start-up never fails when a secret is sealed."""
    try:
        Fernet(key)
        fernet_takes = True
    except ValueError:
        fernet_takes = False
    try:
        load_settings(PUENTE_SECRET_KEY=f"{SECRET_KEY},{key}")
        settings_take = True
    except SettingsError:
        settings_take = False
    assert settings_take == fernet_takes


# The timeline --------------------------------------------------------------------------------------


def open_ticket(runtime: Runtime) -> str:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    with acting_as(runtime, "ana") as ctx:
        reference = tickets.open_ticket(ctx, tickets.TicketDraft(title="Phishing wave")).reference
    for text_ in ("first look", "called the bank", "takedown asked"):
        with acting_as(runtime, "ana") as ctx:
            notes.add_note(ctx, reference, text_)
    return reference


def event_ids(runtime: Runtime, action: str) -> list[int]:
    with runtime.unit_of_work() as ctx:
        return [e.id or 0 for e in ctx.session.exec(select(TimelineEvent).where(TimelineEvent.action == action))]


def tamper(runtime: Runtime, statement: str) -> None:
    """What someone with the database's own credentials could do: lift the guard, change, put it back."""
    with runtime.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE timeline_events DISABLE TRIGGER timeline_append_only"))
            connection.execute(text(statement))
            connection.execute(text("ALTER TABLE timeline_events ENABLE TRIGGER timeline_append_only"))
        else:
            connection.execute(text("DROP TRIGGER timeline_append_only_update"))
            connection.execute(text("DROP TRIGGER timeline_append_only_delete"))
            connection.execute(text(statement))


def test_the_database_refuses_to_change_or_delete_timeline_events(runtime: Runtime) -> None:
    open_ticket(runtime)
    for statement in ("UPDATE timeline_events SET summary = 'nothing happened'", "DELETE FROM timeline_events"):
        with pytest.raises(DBAPIError, match="append-only"), runtime.engine.begin() as connection:
            connection.execute(text(statement))


def test_audit_verify_passes_an_intact_timeline(runtime: Runtime, database_url: str) -> None:
    open_ticket(runtime)
    verified = cli(database_url, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "timeline intact" in verified.output


def test_audit_verify_names_the_first_changed_event(runtime: Runtime, database_url: str) -> None:
    reference = open_ticket(runtime)
    first_note, second_note, _ = event_ids(runtime, "noted")
    tamper(runtime, f"UPDATE timeline_events SET actor = 'beto' WHERE id IN ({second_note}, {first_note})")
    verified = cli(database_url, "audit", "verify")
    assert verified.exit_code == 1
    assert f"timeline broken at event #{first_note} ({reference}," in verified.output
    assert "changed after it was written" in verified.output


def test_audit_verify_names_an_event_whose_wording_was_taken_away(runtime: Runtime, database_url: str) -> None:
    """What each reader reads of an event (its wording) is covered too: an event made to read as if it were
    recorded before timelines were worded no longer verifies."""
    reference = open_ticket(runtime)
    first_note = event_ids(runtime, "noted")[0]
    tamper(runtime, f"UPDATE timeline_events SET wording = NULL WHERE id = {first_note}")
    verified = cli(database_url, "audit", "verify")
    assert verified.exit_code == 1
    assert f"timeline broken at event #{first_note} ({reference}," in verified.output


def test_audit_verify_names_the_event_after_a_removed_one(runtime: Runtime, database_url: str) -> None:
    reference = open_ticket(runtime)
    first_note, second_note, _ = event_ids(runtime, "noted")
    tamper(runtime, f"DELETE FROM timeline_events WHERE id = {first_note}")
    verified = cli(database_url, "audit", "verify")
    assert verified.exit_code == 1
    assert f"timeline broken at event #{second_note} ({reference}," in verified.output
    assert "removed" in verified.output


def test_concurrent_writers_keep_one_chain_per_ticket(runtime: Runtime) -> None:
    """Writers on several connections append to the same ticket at once; the chain stays one line
    (on PostgreSQL each writer waits for the chain; SQLite has one writer at a time anyway)."""
    reference = open_ticket(runtime)

    def write(worker: int) -> None:
        for n in range(8):
            with acting_as(runtime, "ana") as ctx:
                notes.add_note(ctx, reference, f"worker {worker} note {n}")
            with runtime.unit_of_work(actor_name="operator") as ctx:
                ctx.record("checked", f"worker {worker} round {n}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    with runtime.unit_of_work() as ctx:
        report = audit.verify(ctx)
    assert report.intact, report.broken
    assert report.checked >= 4 * 8 * 2


def test_events_written_before_the_chain_are_chained_by_the_upgrade(unmigrated_database_url: str) -> None:
    url = unmigrated_database_url
    migrate.upgrade(url, "0011")
    events = sa.table(
        "timeline_events",
        *(sa.column(name) for name in ("actor", "action", "summary")),
        sa.column("at", UTCDateTime()),
        sa.column("after", sa.JSON),
    )
    engine = make_engine(url)
    with engine.begin() as connection:
        for n in range(3):
            at = datetime(2026, 3, 1, 9, n, tzinfo=UTC)
            connection.execute(
                events.insert().values(
                    actor="operator", action="user-added", summary=f"u{n}", at=at, after={"name": f"u{n}"}
                )
            )
    engine.dispose()
    migrate.upgrade(url)
    runtime = make_runtime(url, ManualClock(), Path("unused"))
    try:
        with runtime.unit_of_work(actor_name="operator") as ctx:
            ctx.record("checked", "after the upgrade")
        with runtime.unit_of_work() as ctx:
            report = audit.verify(ctx)
        assert report.intact and report.checked == 4, report.broken
    finally:
        runtime.engine.dispose()


def test_events_are_shown_in_the_order_they_happened(runtime: Runtime) -> None:
    reference = open_ticket(runtime)
    with acting_as(runtime, "ana") as ctx:
        ticket = tickets.get(ctx, reference)
        ctx.record(
            "late-report", "seen by the bank an hour before", ticket_id=ticket.id, at=ctx.now() - timedelta(hours=1)
        )
    with acting_as(runtime, "ana") as ctx:
        _, events = tickets.history(ctx, reference)
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert events[0].action == "late-report"


# Removing a peer ------------------------------------------------------------------------------------


def test_removing_a_peer_with_undelivered_messages_asks_first_and_records_what_was_dropped(
    runtime: Runtime, database_url: str
) -> None:
    assert add_peer(database_url, "--password", "pw").exit_code == 0
    reference = open_ticket(runtime)
    with acting_as(runtime, "ana") as ctx:
        peer, ticket = peers.get(ctx, "cert-br"), tickets.get(ctx, reference)
        outbox.enqueue(ctx, peer, [{"type": "note"}], ticket_id=ticket.id, summary=f"share {reference}")
    with runtime.unit_of_work(actor_name="operator") as ctx, pytest.raises(Conflict, match="not delivered yet"):
        peers.remove(ctx, "cert-br")
    declined = cli(database_url, "peers", "remove", "cert-br", input="n\n")
    assert declined.exit_code == 1
    assert "cert-br has 1 delivery(ies) not delivered yet:" in declined.output
    assert f"share {reference} (pending, 0 attempt(s))" in declined.output
    with runtime.unit_of_work() as ctx:
        assert peers.get(ctx, "cert-br") is not None
    confirmed = cli(database_url, "peers", "remove", "cert-br", input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    with acting_as(runtime, "ana") as ctx:
        _, events = tickets.history(ctx, reference)
        removed = ctx.session.exec(select(TimelineEvent).where(TimelineEvent.action == "peer-removed")).one()
    dropped = [e for e in events if e.action == "delivery-dropped"]
    assert len(dropped) == 1 and f"share {reference} → cert-br: dropped with the peer" in dropped[0].summary
    assert removed.actor == "operator" and "dropped 1 undelivered" in removed.summary
    assert removed.before is not None and removed.before["dropped"][0]["summary"] == f"share {reference}"
    with runtime.unit_of_work() as ctx, pytest.raises(NotFound):  # gone, and its secret with it
        peers.get(ctx, "cert-br")
