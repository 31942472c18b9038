"""Parity: the same commands typed on any chat platform, in any language Puente speaks, leave the same
trace in Puente.

One table of commands runs through the console (the command core directly) and through each
chat adapter's real pipeline; every table Puente writes (tickets, observables, notes, timeline,
outbox rows once they exist) must end up identical, and the same commands must be refused.
The table is typed in English, Spanish, Portuguese and French by people who read Puente in that
language: each leaves the same trace as the English one, but for the language it records.
Adding an adapter is one entry in ADAPTERS.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.server.app import create_app
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.users import service as users
from puente.storage.models import Role
from puente.storage.schema import metadata
from tests.conftest import make_runtime
from tests.slack_api import SlackStandIn
from tests.telegram_standin import SECRET, TOKEN, TelegramUser, bot_api, serving, webhook_of

# name: (role, Telegram id, Slack id)
PEOPLE = {"ana": (Role.ANALYST, "1001", "U0ANA"), "beto": (Role.LEAD, "1002", "U0BETO")}

TABLE: list[tuple[str, str]] = [
    (
        "ana",
        "/incident new Phishing wave against banks sev=high "
        "countries=BR,AR tlp=amber type=fraud/phishing sector=financial",
    ),
    ("ana", "/incident ioc INC-2026-0001 198.51.100.7 evil[.]example hxxp://bad[.]example/login"),
    ("beto", "/incident note INC-2026-0001 CERT.br confirms the same kit on their side"),
    (
        "ana",
        '/incident update INC-2026-0001 status=in-progress sev=critical title="Phishing wave against regional banks"',
    ),
    ("ana", "/incident assign INC-2026-0001 beto"),
    ("ana", "/incident update INC-2026-0001 countries=XX"),  # refused: not a country
    ("beto", "/incident new Defacement of ministry portal countries=CO type=intrusions/application-compromise"),
    ("beto", "/incident resolve INC-2026-0001 kit taken down by the hosting provider"),
    ("beto", "/incident close INC-2026-0001"),
    ("ana", "/incident reopen INC-2026-0002"),  # refused: not resolved yet
]

# The same table as analysts type it in each language: their words for the commands, options and values.
TABLES: dict[str, list[tuple[str, str]]] = {
    "en": TABLE,
    "es": [
        (
            "ana",
            "/incident nuevo Phishing wave against banks gravedad=alta "
            "países=BR,AR tlp=ámbar tipo=fraud/phishing sector=finanzas",
        ),
        TABLE[1],
        ("beto", "/incident nota INC-2026-0001 CERT.br confirms the same kit on their side"),
        (
            "ana",
            "/incident actualizar INC-2026-0001 estado=en-curso sev=crítica"
            ' título="Phishing wave against regional banks"',
        ),
        ("ana", "/incident asignar INC-2026-0001 beto"),
        ("ana", "/incident actualizar INC-2026-0001 países=XX"),
        ("beto", "/incident nuevo Defacement of ministry portal países=CO tipo=intrusions/application-compromise"),
        ("beto", "/incident resolver INC-2026-0001 kit taken down by the hosting provider"),
        ("beto", "/incident cerrar INC-2026-0001"),
        ("ana", "/incident reabrir INC-2026-0002"),
    ],
    "pt": [
        (
            "ana",
            "/incident novo Phishing wave against banks gravidade=alta "
            "países=BR,AR tlp=âmbar tipo=fraud/phishing setor=finanças",
        ),
        TABLE[1],
        ("beto", "/incident nota INC-2026-0001 CERT.br confirms the same kit on their side"),
        (
            "ana",
            "/incident atualizar INC-2026-0001 situação=em-andamento sev=crítica"
            ' título="Phishing wave against regional banks"',
        ),
        ("ana", "/incident atribuir INC-2026-0001 beto"),
        ("ana", "/incident atualizar INC-2026-0001 países=XX"),
        ("beto", "/incident novo Defacement of ministry portal países=CO tipo=intrusions/application-compromise"),
        ("beto", "/incident resolver INC-2026-0001 kit taken down by the hosting provider"),
        ("beto", "/incident fechar INC-2026-0001"),
        ("ana", "/incident reabrir INC-2026-0002"),
    ],
    "fr": [
        (
            "ana",
            "/incident nouveau Phishing wave against banks gravité=haute "
            "pays=BR,AR tlp=ambre catégorie=fraud/phishing secteur=banque",
        ),
        TABLE[1],
        ("beto", "/incident remarque INC-2026-0001 CERT.br confirms the same kit on their side"),
        (
            "ana",
            "/incident modifier INC-2026-0001 statut=en-cours sev=critique"
            ' titre="Phishing wave against regional banks"',
        ),
        ("ana", "/incident attribuer INC-2026-0001 beto"),
        ("ana", "/incident modifier INC-2026-0001 pays=XX"),
        ("beto", "/incident nouveau Defacement of ministry portal pays=CO catégorie=intrusions/application-compromise"),
        ("beto", "/incident résoudre INC-2026-0001 kit taken down by the hosting provider"),
        ("beto", "/incident fermer INC-2026-0001"),
        ("ana", "/incident rouvrir INC-2026-0002"),
    ],
}

# Bookkeeping an adapter keeps for itself (button tokens, chat requests seen), not a domain effect.
ADAPTER_TABLES = {"pending_buttons", "chat_requests"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# What differs between languages by design: the language people read in and wrote their notes in (and
# so the timeline digests that cover them, and the tag the timeline's English record gives their words).
LANGUAGE = re.compile(r'"language": "[a-z]{2}"')
WRITTEN_IN = re.compile(r"\[[a-z]{2}\] ")
DIGEST = re.compile(r'"(previous_)?digest": "[0-9a-f]{64}"')


class Adapter(Protocol):
    def run(self, who: str, text: str) -> bool:
        """Run one command as `who`; True when Puente accepted it, False when it refused."""
        ...


@contextmanager
def console(runtime: Runtime) -> Iterator[Adapter]:
    class Console:
        core = CommandCore(runtime)

        def run(self, who: str, text: str) -> bool:
            return self.core.handle(Command(text=text, platform="console", user_id=who)).ok

    yield Console()


@contextmanager
def telegram(runtime: Runtime) -> Iterator[Adapter]:
    """Updates posted to /telegram/webhook; the verdict is what the person sees in the chat."""
    with bot_api() as api:
        settings = runtime.settings.model_copy(
            update={
                "telegram_bot_token": TOKEN,
                "telegram_webhook_secret": SECRET,
                "telegram_api_url": api.url,
            }
        )
        runtime.settings = settings
        with webhook_of(runtime) as webhook:
            chats = {name: TelegramUser(webhook, int(tid), name) for name, (_, tid, _) in PEOPLE.items()}

            class Telegram:
                def run(self, who: str, text: str) -> bool:
                    mark = len(api.calls)
                    assert chats[who].says(text).status_code == 200
                    (reply, *_) = api.since(mark, "sendMessage")
                    return not reply.text.startswith("⚠️")

            yield Telegram()


@contextmanager
def slack(runtime: Runtime) -> Iterator[Adapter]:
    """Signed slash commands posted to /slack/events; the verdict is whether the reply went to the
    whole channel (refusals are ephemeral, seen only by the person who typed the command)."""
    secret = "parity-signing-secret"
    with SlackStandIn() as api:
        runtime.settings = runtime.settings.model_copy(
            update={
                "slack_bot_token": "xoxb-parity",
                "slack_signing_secret": secret,
                "slack_api_url": api.api_url,
            }
        )
        with serving(create_app(runtime)) as base:
            sent = itertools.count(1)

            class Slack:
                def run(self, who: str, text: str) -> bool:
                    name = f"reply-{next(sent)}"
                    body = urlencode(
                        {
                            "team_id": "T0CSIRT",
                            "channel_id": "C0SOC",
                            "user_id": PEOPLE[who][2],
                            "command": "/incident",
                            "text": text.removeprefix("/incident").strip(),
                            "response_url": api.response_url(name),
                            "trigger_id": "1.2.trigger",
                        }
                    )
                    stamp = str(int(time.time()))
                    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
                    headers = {
                        "X-Slack-Request-Timestamp": stamp,
                        "X-Slack-Signature": f"v0={digest}",
                        "Content-Type": "application/x-www-form-urlencoded",
                    }
                    assert (
                        httpx.post(f"{base}/slack/events", content=body, headers=headers, timeout=30).status_code == 200
                    )
                    reply, *_ = api.wait_for(f"response:{name}")
                    return bool(reply.params["response_type"] == "in_channel")

            yield Slack()


ADAPTERS: dict[str, Callable[[Runtime], AbstractContextManager[Adapter]]] = {"telegram": telegram, "slack": slack}


def fresh_runtime(template: Path, folder: Path, clock: ManualClock, language: str = "en") -> Runtime:
    folder.mkdir()
    shutil.copy(template, folder / "puente.db")
    runtime = make_runtime(f"sqlite:///{folder / 'puente.db'}", clock, folder)
    with runtime.unit_of_work(actor_name="operator") as ctx:
        for name, (role, telegram_id, slack_id) in PEOPLE.items():
            users.add(ctx, name, role, addresses={"telegram": telegram_id, "slack": slack_id}, language=language)
    return runtime


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def effects(runtime: Runtime) -> dict[str, list[str]]:
    """Every row of every domain table, with random UUIDs (STIX ids) masked."""
    found: dict[str, list[str]] = {}
    with runtime.engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name in ADAPTER_TABLES:
                continue
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            found[table.name] = [
                UUID.sub("<uuid>", json.dumps({k: _plain(v) for k, v in row.items()}, sort_keys=True, default=str))
                for row in rows
            ]
    return found


def run_table(
    adapter: Callable[[Runtime], AbstractContextManager[Adapter]], runtime: Runtime, language: str = "en"
) -> list[bool]:
    with adapter(runtime) as chat:
        return [chat.run(who, text) for who, text in TABLES[language]]


def without_language(found: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        table: [
            DIGEST.sub("<digest>", LANGUAGE.sub('"language": "<language>"', WRITTEN_IN.sub("", row))) for row in rows
        ]
        for table, rows in found.items()
    }


@pytest.mark.parametrize("language", sorted(TABLES))
@pytest.mark.parametrize("platform", sorted(ADAPTERS))
def test_every_adapter_leaves_the_same_trace_as_the_console(
    platform: str, language: str, sqlite_template: Path, tmp_path: Path
) -> None:
    reference = fresh_runtime(sqlite_template, tmp_path / "console", ManualClock(), language)
    adapted = fresh_runtime(sqlite_template, tmp_path / platform, ManualClock(), language)
    try:
        expected_verdicts = run_table(console, reference, language)
        assert expected_verdicts == [True] * 5 + [False] + [True] * 3 + [False]  # the table means what it says
        assert run_table(ADAPTERS[platform], adapted, language) == expected_verdicts
        expected, actual = effects(reference), effects(adapted)
        assert len(expected["timeline_events"]) >= 9 and len(expected["ticket_observables"]) == 3
        for table in expected:
            assert actual[table] == expected[table], f"{platform} differs from the console in {table}"
        assert f'"language": "{language}"' in "".join(expected["ticket_notes"])  # the note records its language
    finally:
        reference.engine.dispose()
        adapted.engine.dispose()


@pytest.mark.parametrize("language", sorted(set(TABLES) - {"en"}))
def test_the_table_typed_in_another_language_leaves_the_trace_of_the_english_one(
    language: str, sqlite_template: Path, tmp_path: Path
) -> None:
    english = fresh_runtime(sqlite_template, tmp_path / "en", ManualClock())
    translated = fresh_runtime(sqlite_template, tmp_path / language, ManualClock(), language)
    try:
        assert run_table(console, translated, language) == run_table(console, english)
        expected, actual = without_language(effects(english)), without_language(effects(translated))
        for table in expected:
            assert actual[table] == expected[table], f"typed in {language}, {table} differs from English"
    finally:
        english.engine.dispose()
        translated.engine.dispose()
