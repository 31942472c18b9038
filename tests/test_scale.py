"""Correct at any size: lists past their first page, per-ticket commands that look up only what they need,
a peer's inbox taken in by batches.

Speed itself is measured by bench/ticket_scaling.py; here SQLite's query plans show that a command
touching one ticket or one reference reads through indexes, never a whole table.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.bot.replies import Reply
from puente.services.context import Runtime
from puente.services.feeds import door, partners
from puente.services.inbox import scheduled as inbox_worker
from puente.services.inbox.service import ingest
from puente.services.peers import service as peers
from puente.services.users import service as users
from puente.storage import peers as peer_store
from puente.storage.inbox import IngestedObject
from puente.storage.models import Role, Ticket, TicketObservable, TicketStatus
from puente.storage.stix_objects import StixObjectVersion
from tests.support import confirmation


@pytest.fixture
def core(runtime: Runtime) -> CommandCore:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    return CommandCore(runtime)


def say(core: CommandCore, text: str) -> Reply:
    return core.handle(Command(text=text, platform="console", user_id="ana"))


def pasted(count: int, offset: int = 0) -> str:
    """Distinct observables of several kinds, each kind more than one look-up's worth."""
    makers = [
        lambda i: f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
        lambda i: f"host{i}.evil[.]example",
        lambda i: f"{i:064x}",
    ]
    return " ".join(makers[i % len(makers)](i) for i in range(offset, offset + count))


def local_tickets(runtime: Runtime, count: int, first_number: int, countries: tuple[str, ...] = ("CO",)) -> None:
    """`count` open tickets affecting only `countries`, stored directly (their creation is not under test)."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with runtime.unit_of_work() as ctx:
        ctx.session.add_all(
            Ticket(
                reference=f"INC-2026-{number:04d}",
                year=2026,
                number=number,
                title=f"local {number}",
                severity="low",
                status=TicketStatus.NEW.value,
                countries=list(countries),
                tlp="amber",
                pap="amber",
                aware_at=now,
                incident_id=f"incident--{uuid.uuid4()}",
                created_at=now,
                updated_at=now,
            )
            for number in range(first_number, first_number + count)
        )


def test_cross_border_list_finds_tickets_behind_a_thousand_local_ones(core: CommandCore, runtime: Runtime) -> None:
    older = [say(core, f"/incident new Botnet {n} countries=CO,BR").ticket for n in range(3)]
    assert say(core, "/incident new Closed one countries=CO,AR").ok
    assert say(core, "/incident resolve INC-2026-0004").ok
    local_tickets(runtime, 1200, first_number=5)
    local_tickets(runtime, 1, first_number=1205, countries=())  # imported without countries: not cross-border

    listed = say(core, "/incident list cross-border")
    assert listed.text == "3 cross-border tickets:"
    assert [line.split()[0] for line in listed.lines] == older[::-1]

    everything = say(core, "/incident list open")
    assert everything.text == "50 of 1204 open tickets:"
    assert everything.lines[0].startswith("INC-2026-1205 ")


def test_observables_pasted_by_the_thousand_are_each_added_once(core: CommandCore) -> None:
    reference = say(core, "/incident new Scanning wave").ticket
    first = say(core, f"/incident ioc {reference} {pasted(1200)}")
    assert first.text == f"{reference}: added 1200 observables."
    again = say(core, f"/incident ioc {reference} {pasted(1300)} {pasted(1300)}")
    assert again.text == f"{reference}: added 100 observables, 1200 already on the ticket."
    shown = say(core, f"/incident show {reference}")
    assert dict(shown.fields)["Observables"] == "1300"
    assert shown.lines[2:4] == ["ipv4-addr: 10.0.0.0", "domain-name: host1.evil.example"]  # after TLP and PAP
    assert "… and 1275 more observables" in shown.lines


@contextmanager
def query_plans(engine: Engine) -> Iterator[list[str]]:
    """SQLite's plan of every statement run inside the block, one line per step."""
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    plans: list[str] = []
    try:
        yield plans
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as connection:
        for statement, parameters in statements:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            plans += [f"{row[-1]}   <- {statement}" for row in rows]


def full_scans(plans: list[str], *tables: str) -> list[str]:
    return [plan for plan in plans if any(plan.startswith((f"SCAN {t} ", f"SCAN {t}\t")) for t in tables)]


def test_a_large_often_shared_ticket_and_a_mistyped_reference_read_through_indexes(
    sqlite_runtime: Runtime,
) -> None:
    core = CommandCore(sqlite_runtime)
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
        peers.add(
            ctx,
            peers.PeerDraft(
                name="cert-br", countries=["BR"], taxii_url="http://127.0.0.1:9/taxii2/", collection_id="inbox-co"
            ),
        )
    reference = say(core, "/incident new Botnet C2 countries=CO,BR").ticket
    assert say(core, "/incident new Other ticket countries=CO").ok
    assert say(core, f"/incident ioc {reference} {pasted(600)}").ok
    for _ in range(12):
        preview = say(core, f"/incident share {reference} to cert-br").plain_text()
        assert "queued for cert-br" in say(core, confirmation(preview)).plain_text()

    with query_plans(sqlite_runtime.engine) as plans:
        shown = say(core, f"/incident show {reference}")
        added = say(core, f"/incident ioc {reference} 198.51.100.77")
        typo = say(core, "/incident show INC-2062-0001")
    assert shown.ok and added.ok
    assert typo.text == "No ticket 'INC-2062-0001'. Did you mean INC-2026-0001?"
    tables = ("tickets", "ticket_observables", "peer_outbox", "stix_objects", "taxii_entries", "timeline_events")
    assert full_scans(plans, *tables) == []
    assert not [plan for plan in plans if "peer_outbox.objects" in plan], "show loaded the shared payloads"
    whole_ticket = [
        plan
        for plan in plans
        if "ticket_observables.value" in plan and "LIMIT" not in plan and "ticket_observables.value IN" not in plan
    ]
    assert whole_ticket == [], "a command read all of the ticket's observables"
    deliveries = [line for line in shown.lines if line.startswith("📤")]
    assert deliveries[0] == "📤 … 2 earlier deliveries (see /incident timeline)"
    assert len(deliveries) == 11


def indicator(creator: str, n: int, modified: str = "2026-01-05T12:00:00.000Z") -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=n, version=4)}",
        "created_by_ref": creator,
        "created": "2026-01-05T12:00:00.000Z",
        "modified": modified,
        "pattern": f"[domain-name:value = 'host{n}.evil.example']",
        "pattern_type": "stix",
        "valid_from": "2026-01-05T12:00:00Z",
    }


def test_a_large_inbox_is_taken_in_once_in_batches_and_idle_peers_are_left_alone(runtime: Runtime) -> None:
    names = ("csirt-ar", "cert-br", "csirt-cl")
    identities = {name: f"identity--{uuid.uuid4()}" for name in names}
    issued = {}
    with runtime.unit_of_work(actor_name="operator") as ctx:
        for name in names:
            issued[name] = partners.add(ctx, name, peer=name, identity=identities[name])
            peers.add(
                ctx,
                peers.PeerDraft(
                    name=name,
                    countries=["BR"],
                    taxii_url="http://127.0.0.1:9/taxii2/",
                    collection_id=str(uuid.uuid4()),
                    identity_id=identities[name],
                ),
            )
    creator = identities["cert-br"]
    total = inbox_worker.INBOX_BATCH + 200
    posted = [indicator(creator, n) for n in range(total)]
    with runtime.unit_of_work() as ctx:
        partner = partners.authenticate(ctx, f"Token {issued['cert-br'].key}")
    inbox = next(c for c in partner.collections if c.alias == "cert-br-inbox")
    received = door.receive(runtime.unit_of_work, partner, inbox, door.screen(partner, posted))
    assert received.success_count == total

    taken = []
    while read := inbox_worker.take_inbox(runtime):
        taken.append(read)
    assert sum(taken) == total and len(taken) > 1, "more than one tick's worth, taken in batches"
    assert inbox_worker.take_inbox(runtime) == 0
    with runtime.unit_of_work() as ctx:
        cursors = {peer.name: peer.inbox_cursor for peer in peer_store.all_peers(ctx.session)}
        br = peers.get(ctx, "cert-br")
        ingested = ctx.session.exec(select(func.count()).select_from(IngestedObject)).one()
    assert cursors["csirt-ar"] is None and cursors["csirt-cl"] is None and cursors["cert-br"] is not None
    assert ingested == total

    newer = indicator(creator, 7, modified="2026-01-06T08:00:00.000Z")
    with runtime.unit_of_work(actor_name="peer:cert-br") as ctx:
        report = ingest(ctx, br, [*posted[:3], newer, newer])
    assert (report.accepted, report.duplicates, report.rejected) == (1, 4, [])


def shared_incident(creator: str, indicators: int) -> list[dict[str, Any]]:
    """A peer's incident with many indicators, each with its `indicates` relationship, in posting order."""
    at = "2026-01-05T12:00:00.000Z"
    common = {"spec_version": "2.1", "created_by_ref": creator, "created": at, "modified": at}
    found = {**common, "type": "incident", "id": f"incident--{uuid.uuid4()}", "name": "Botnet C2 across the region"}
    objects = [found]
    for n in range(indicators):
        pointer = indicator(creator, n)
        objects += [
            pointer,
            {
                **common,
                "type": "relationship",
                "id": f"relationship--{uuid.uuid4()}",
                "relationship_type": "indicates",
                "source_ref": pointer["id"],
                "target_ref": found["id"],
            },
        ]
    return objects


def test_a_shared_incident_taken_in_batch_by_batch_reads_only_what_each_batch_names(
    sqlite_runtime: Runtime,
) -> None:
    creator = f"identity--{uuid.uuid4()}"
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        issued = partners.add(ctx, "csirt-co", peer="csirt-co", identity=creator)
        peers.add(
            ctx,
            peers.PeerDraft(
                name="csirt-co",
                countries=["CO"],
                taxii_url="http://127.0.0.1:9/taxii2/",
                collection_id=str(uuid.uuid4()),
                identity_id=creator,
            ),
        )
        partner = partners.authenticate(ctx, f"Token {issued.key}")
    posted = shared_incident(creator, inbox_worker.INBOX_BATCH // 2 + 200)  # more than one batch
    inbox = next(c for c in partner.collections if c.alias == "csirt-co-inbox")
    received = door.receive(sqlite_runtime.unit_of_work, partner, inbox, door.screen(partner, posted))
    assert received.success_count == len(posted)

    assert inbox_worker.take_inbox(sqlite_runtime) > 0  # the first batch opens the ticket
    with query_plans(sqlite_runtime.engine) as plans:
        while inbox_worker.take_inbox(sqlite_runtime):
            pass
    # Every version the ticket holds, read again for each batch, made a large envelope slower batch after batch.
    every_version = re.compile(r"FROM stix_objects\s+WHERE stix_objects\.ticket_id = \?\s*(ORDER BY|$)")
    whole_ticket = [plan for plan in plans if every_version.search(plan) and "max(" not in plan]
    assert whole_ticket == []
    assert full_scans(plans, "stix_objects", "ticket_observables", "taxii_entries", "peer_ingested") == []
    with sqlite_runtime.unit_of_work() as ctx:
        ticket = ctx.session.exec(select(Ticket)).one()
        observables = ctx.session.exec(select(func.count()).select_from(TicketObservable)).one()
        held = select(func.count()).select_from(StixObjectVersion).where(StixObjectVersion.ticket_id == ticket.id)
        versions = ctx.session.exec(held).one()
    assert ticket.incident_id == posted[0]["id"]
    assert (observables, versions) == (len(posted) // 2, len(posted))
