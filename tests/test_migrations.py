"""Migrations: what a CSIRT has stored survives them, and they build the schema the models describe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session

from puente.i18n import Phrase
from puente.storage import buttons as button_store
from puente.storage import users
from puente.storage.engine import make_engine
from puente.storage.migrate import alembic_config, upgrade
from puente.storage.schema import metadata
from puente.storage.types import UTCDateTime

AWARE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

# The tables as revision 0008 left them, as far as the rows below need.
USERS_0008 = sa.table(
    "users",
    sa.column("name"),
    sa.column("role"),
    sa.column("slack_id"),
    sa.column("telegram_id"),
    sa.column("created_at", UTCDateTime()),
)
TICKETS_0008 = sa.table(
    "tickets",
    *(sa.column(name) for name in ("reference", "year", "number", "title", "description", "severity", "status")),
    *(sa.column(name) for name in ("tlp", "pap", "owner_id", "incident_id")),
    *(sa.column(name, sa.JSON) for name in ("sectors", "countries")),
    *(sa.column(name, UTCDateTime()) for name in ("aware_at", "created_at", "updated_at")),
)
PAGES_0008 = sa.table(
    "pages",
    *(sa.column(name) for name in ("ticket_id", "kind", "policy", "summary", "repeat", "next_step", "status")),
    sa.column("raised_by"),
    sa.column("steps", sa.JSON),
    sa.column("created_at", UTCDateTime()),
)
DELIVERIES_0008 = sa.table(
    "page_deliveries",
    *(sa.column(name) for name in ("page_id", "step", "purpose", "platform", "recipient", "slack_id", "telegram_id")),
    *(sa.column(name) for name in ("status", "attempts", "handle")),
    *(sa.column(name, UTCDateTime()) for name in ("due_at", "fire_due_at")),
)

CHANNEL_STEP_0008 = {"target": "channel", "name": "soc", "wait_minutes": 5, "slack": "C0SOC", "telegram": None}
USER_STEP = {"target": "user", "name": "ana", "wait_minutes": 10}


def _store_at_0008(url: str) -> None:
    """Ana on Slack and Telegram, Bob on Telegram, Dora on neither; Ana owns a ticket whose page reached
    her on Slack, Telegram and the console after paging the SOC channel on Slack."""
    upgrade(url, "0008")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(USERS_0008),
            [
                {"name": "ana", "role": "analyst", "slack_id": "U0ANA", "telegram_id": "1001", "created_at": AWARE},
                {"name": "bob", "role": "oncall", "slack_id": None, "telegram_id": "1002", "created_at": AWARE},
                {"name": "dora", "role": "lead", "slack_id": None, "telegram_id": None, "created_at": AWARE},
            ],
        )
        ana = connection.execute(sa.text("SELECT id FROM users WHERE name = 'ana'")).scalar_one()
        ticket: int = connection.execute(
            sa.insert(TICKETS_0008).returning(sa.literal_column("id")),
            {
                "reference": "INC-2026-0001",
                "year": 2026,
                "number": 1,
                "title": "Phishing against a ministry",
                "description": "",
                "severity": "critical",
                "status": "new",
                "tlp": "amber",
                "pap": "amber",
                "owner_id": ana,
                "incident_id": "incident--6a8ad1a4-5a4a-4d8b-9f0e-3b6f0b1f0c01",
                "sectors": [],
                "countries": [],
                "aware_at": AWARE,
                "created_at": AWARE,
                "updated_at": AWARE,
            },
        ).scalar_one()
        page: int = connection.execute(
            sa.insert(PAGES_0008).returning(sa.literal_column("id")),
            {
                "ticket_id": ticket,
                "kind": "severity",
                "policy": "critical",
                "summary": "critical ticket: Phishing against a ministry",
                "repeat": 1,
                "next_step": 2,
                "status": "exhausted",
                "raised_by": "ana",
                "steps": [CHANNEL_STEP_0008, USER_STEP],
                "created_at": AWARE,
            },
        ).scalar_one()
        reached = [
            ("#soc", 0, "slack", "C0SOC", None),
            ("ana", 1, "slack", "U0ANA", "1001"),
            ("ana", 1, "telegram", "U0ANA", "1001"),
            ("ana", 1, "console", "U0ANA", "1001"),
        ]
        connection.execute(
            sa.insert(DELIVERIES_0008),
            [
                {
                    "page_id": page,
                    "step": step,
                    "purpose": "page",
                    "platform": platform,
                    "recipient": recipient,
                    "slack_id": slack_id,
                    "telegram_id": telegram_id,
                    "status": "sent",
                    "attempts": 1,
                    "handle": f"{platform}:{number}",
                    "due_at": AWARE,
                    "fire_due_at": AWARE,
                }
                for number, (recipient, step, platform, slack_id, telegram_id) in enumerate(reached)
            ],
        )
    engine.dispose()


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(sa.text(query))]
    engine.dispose()
    return rows


def _columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    found = {column["name"] for column in sa.inspect(engine).get_columns(table)}
    engine.dispose()
    return found


def test_chat_ids_move_into_chat_identities_and_deliveries_keep_their_address(unmigrated_database_url: str) -> None:
    url = unmigrated_database_url
    _store_at_0008(url)

    upgrade(url)

    assert sorted(
        _rows(url, "SELECT u.name, c.platform, c.address FROM chat_identities c JOIN users u ON u.id = c.user_id")
    ) == [("ana", "slack", "U0ANA"), ("ana", "telegram", "1001"), ("bob", "telegram", "1002")]
    assert {"slack_id", "telegram_id"}.isdisjoint(_columns(url, "users"))
    assert _rows(url, "SELECT recipient, platform, address, handle FROM page_deliveries ORDER BY id") == [
        ("#soc", "slack", "C0SOC", "slack:0"),
        ("ana", "slack", "U0ANA", "slack:1"),
        ("ana", "telegram", "1001", "telegram:2"),
        ("ana", "console", None, "console:3"),
    ]
    assert {"slack_id", "telegram_id"}.isdisjoint(_columns(url, "page_deliveries"))
    engine = make_engine(url)
    with Session(engine) as session:
        found = {
            (platform, address): getattr(users.by_address(session, platform, address), "name", None)
            for platform, address in (("slack", "U0ANA"), ("telegram", "1001"), ("telegram", "1002"))
        }
        addresses = users.addresses_of(session, users.all_users(session))
        steps = session.execute(sa.select(PAGES_0008.c.steps)).scalar_one()
    engine.dispose()
    assert found == {("slack", "U0ANA"): "ana", ("telegram", "1001"): "ana", ("telegram", "1002"): "bob"}
    assert addresses == {"ana": {"slack": "U0ANA", "telegram": "1001"}, "bob": {"telegram": "1002"}, "dora": {}}
    # A page raised before the move still pages the channel where it did.
    assert steps == [
        {"target": "channel", "name": "soc", "wait_minutes": 5, "addresses": {"slack": "C0SOC"}},
        USER_STEP,
    ]


def test_downgrading_puts_the_chat_id_columns_back(unmigrated_database_url: str) -> None:
    url = unmigrated_database_url
    _store_at_0008(url)
    upgrade(url)

    command.downgrade(alembic_config(url), "0008")

    assert sorted(_rows(url, "SELECT name, slack_id, telegram_id FROM users")) == [
        ("ana", "U0ANA", "1001"),
        ("bob", None, "1002"),
        ("dora", None, None),
    ]
    assert _rows(url, "SELECT platform, slack_id, telegram_id FROM page_deliveries ORDER BY id") == [
        ("slack", "C0SOC", None),
        ("slack", "U0ANA", None),
        ("telegram", None, "1001"),
        ("console", None, None),
    ]
    engine = make_engine(url)
    assert "chat_identities" not in sa.inspect(engine).get_table_names()
    engine.dispose()


def _buttons_saved_at(url: str, revision: str, rows: list[dict[str, Any]]) -> None:
    """Telegram buttons saved by a Puente at `revision`, in the columns `pending_buttons` had then."""
    upgrade(url, revision)
    texts = [name for name in ("token", "command", "confirm") if any(name in row for row in rows)]
    buttons = sa.table(
        "pending_buttons",
        *(sa.column(name) for name in texts),
        sa.column("choices", sa.JSON),
        *(sa.column(name, UTCDateTime()) for name in ("created_at", "expires_at")),
    )
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(buttons.insert(), [{"created_at": AWARE, "expires_at": AWARE, **row} for row in rows])
    engine.dispose()


def _buttons_after_upgrade(url: str, *tokens: str) -> dict[str, Any]:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        stored = {token: button_store.by_token(session, token) for token in tokens}
    engine.dispose()
    return stored


def test_a_telegram_button_that_asks_keeps_its_question_and_a_downgrade_forgets_it(
    unmigrated_database_url: str,
) -> None:
    url = unmigrated_database_url
    asked = "Send INC-2026-0001 (TLP:AMBER) to cert-{br}?"  # braces a name may hold stay as written
    _buttons_saved_at(
        url,
        "0021",
        [
            {"token": "t1", "command": "share INC-2026-0001", "confirm": asked, "choices": []},
            {"token": "t2", "command": "timeline INC-2026-0001", "confirm": None, "choices": []},
        ],
    )

    stored = _buttons_after_upgrade(url, "t1", "t2")

    assert stored["t1"] is not None and stored["t1"].question is not None
    assert str(Phrase.from_stored(stored["t1"].question)) == asked
    assert stored["t2"] is not None and stored["t2"].question is None
    command.downgrade(alembic_config(url), "0021")
    assert _rows(url, "SELECT token, confirm FROM pending_buttons") == [("t2", None)]


def test_a_telegram_pickers_labels_keep_their_text_and_a_downgrade_forgets_the_picker(
    unmigrated_database_url: str,
) -> None:
    url = unmigrated_database_url
    offered = [["fuera del mandato", "out-of-mandate"], ["{raro}", "other"]]  # braces stay as written
    _buttons_saved_at(
        url,
        "0023",
        [
            {"token": "t1", "command": "decline INC-2026-0001", "choices": offered},
            {"token": "t2", "command": "timeline INC-2026-0001", "choices": []},
        ],
    )

    stored = _buttons_after_upgrade(url, "t1", "t2")

    assert stored["t1"] is not None and stored["t2"] is not None
    assert [[str(Phrase.from_stored(c["label"])), c["value"]] for c in stored["t1"].choices] == offered
    assert stored["t2"].choices == []
    command.downgrade(alembic_config(url), "0023")
    assert _rows(url, "SELECT token FROM pending_buttons") == [("t2",)]


def test_the_migrated_schema_is_the_one_the_models_describe(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert differences == []
