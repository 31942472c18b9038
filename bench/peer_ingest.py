"""Peer ingestion beside file import, on the same objects; and what an idle inbox worker costs per peer.

Run: .venv/bin/python bench/peer_ingest.py [--observables 2500] [--runs 3] [--idle-peers 1,10,35] [--ticks 200]

CSIRT-CO exports a ticket with N observables (2,500 make about 10,000 STIX objects) as its share
would push them. At CERT-BR, on fresh SQLite files:
  accept   the TAXII server screening them and storing them in CO's inbox (services/feeds/door.py)
  drain    the peer-inbox worker taking them from the inbox into tickets, tick after tick until empty
  import   `puente import` of the same objects as one bundle (another fresh file)
The goal is drain within 2x of import, compared within each run (the median of the runs is reported).
Accept validates what it stores, as import does; drain validates again only what an older build's door
let in (services/feeds/screening.py). Then the idle inbox worker: CPU per tick with 1, 10, 35 peers
and nothing to take (must not grow with the peers).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from statistics import median
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from puente.services.clock import SystemClock
from puente.services.context import Runtime
from puente.services.exchange import service as exchange
from puente.services.exchange.importer import import_content
from puente.services.feeds import collections, door, partners
from puente.services.handling.policy import CollectionKind, Destination
from puente.services.inbox import scheduled as inbox_worker
from puente.services.peers import outbox
from puente.services.peers import service as peers
from puente.services.tickets import notes
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import Observable, ObservableKind
from puente.services.users import service as users
from puente.settings import load_settings
from puente.storage import stix_objects
from puente.storage.engine import make_engine
from puente.storage.migrate import upgrade
from puente.storage.models import Role
from puente.storage.users import by_name


def runtime(directory: Path, name: str, csirt: str, country: str) -> Runtime:
    url = f"sqlite:///{directory / name}"
    upgrade(url)
    settings = load_settings(
        PUENTE_DATABASE_URL=url, PUENTE_CSIRT_NAME=csirt, PUENTE_CSIRT_COUNTRY=country, PUENTE_VAR_DIR=str(directory)
    )
    rt = Runtime(settings, make_engine(url), SystemClock())
    with rt.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    return rt


def shared_objects(directory: Path, count: int) -> tuple[str, list[dict[str, Any]]]:
    """CO's identity and the objects its share of a ticket with `count` observables pushes."""
    co = runtime(directory, "co.db", "CSIRT-CO", "CO")
    with co.unit_of_work() as ctx:
        ctx.actor = by_name(ctx.session, "ana")
        found = [
            Observable(ObservableKind.IPV4, f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
            if i % 3 == 0
            else Observable(ObservableKind.DOMAIN, f"host{i}.evil.example")
            if i % 3 == 1
            else Observable(ObservableKind.SHA256, f"{i:064x}")
            for i in range(count)
        ]
        ticket = tickets.open_ticket(
            ctx, tickets.TicketDraft(title="Botnet C2 across the region", countries=["CO", "BR"], observables=found)
        )
        notes.add_note(ctx, ticket.reference, "Sinkholed the first C2 domains.")
        identity = exchange.our_identity(ctx)
        objects, _ = exchange.current_objects(ctx, ticket)
        pushed = outbox.pushable([identity, *(o for o in objects if o["id"] != identity["id"])], identity["id"])
    co.engine.dispose()
    return identity["id"], pushed


def add_peer(rt: Runtime, name: str, identity: str | None) -> partners.IssuedCredentials:
    """`puente partners add NAME --peer NAME --identity …` and `puente peers add NAME …` at the receiver."""
    with rt.unit_of_work(actor_name="operator") as ctx:
        issued = partners.add(ctx, name, peer=name, identity=identity)
        peers.add(
            ctx,
            peers.PeerDraft(
                name=name,
                countries=["CO"],
                taxii_url="http://127.0.0.1:9/taxii2/",
                collection_id=str(uuid.uuid4()),
                identity_id=identity,
            ),
        )
    return issued


def timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


@dataclass(frozen=True)
class Run:
    accepted: tuple[float, float]  # (wall, CPU) seconds
    drained: tuple[float, float]
    imported: tuple[float, float]


def ingestion(directory: Path, identity: str, objects: list[dict[str, Any]], n: int) -> Run:
    """One run on fresh files: accept and drain at BR, then import the same objects at another BR."""
    br = runtime(directory, f"br-{n}.db", "CERT-BR", "BR")
    issued = add_peer(br, "csirt-co", identity)
    inbox = next(g for g in issued.collections if g.alias == Destination(CollectionKind.INBOX, "csirt-co").alias)

    def accept() -> None:
        # As the TAXII server's POST does: screened outside any transaction, then stored a batch at a time.
        with br.unit_of_work() as ctx:
            partner = partners.authenticate(ctx, f"Token {issued.key}")
            collection = collections.collection_for(partner, inbox.id, write=True)
        screened = door.screen(partner, objects)
        status = door.receive(partial(br.unit_of_work, actor_name="partner:csirt-co"), partner, collection, screened)
        assert status.failure_count == 0, status.failures[:3]

    def drain() -> None:
        while inbox_worker.take_inbox(br):
            pass

    accepted = timed(accept)
    drained = timed(drain)
    with br.unit_of_work() as ctx:
        peer = peers.get(ctx, "csirt-co")
        assert peer.inbox_cursor is not None, "the inbox was drained"
        held = stix_objects.latest_of(ctx.session, 1, (o["id"] for o in objects))
    assert len(held) == len({o["id"] for o in objects}), "every object was taken in"
    br.engine.dispose()

    other = runtime(directory, f"br-import-{n}.db", "CERT-BR", "BR")
    bundle = orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects})

    def file_import() -> None:
        with other.unit_of_work() as ctx:
            ctx.actor = by_name(ctx.session, "ana")
            import_content(ctx, bundle)

    imported = timed(file_import)
    other.engine.dispose()
    return Run(accepted, drained, imported)


def report(runs: list[Run], total: int) -> None:
    def rate(figures: tuple[float, float]) -> str:
        wall, cpu = figures
        return f"{total / wall:>7,.0f} objects/s ({wall:.2f} s wall, {cpu:.2f} s CPU)"

    for n, run in enumerate(runs, 1):
        print(f"run {n}:")
        print(f"  accept (TAXII POST into the inbox): {rate(run.accepted)}")
        print(f"  drain (inbox -> tickets):           {rate(run.drained)}")
        print(f"  puente import of the same objects:  {rate(run.imported)}")
    # Ratios within a run: other work on the machine slows both sides of one run alike.
    wall = median(r.drained[0] / r.imported[0] for r in runs)
    cpu = median(r.drained[1] / r.imported[1] for r in runs)
    both = median((r.accepted[1] + r.drained[1]) / r.imported[1] for r in runs)
    print(f"drain / import, median of {len(runs)} runs: {wall:.2f}x wall, {cpu:.2f}x CPU (goal: at most 2x)")
    print(f"accept + drain / import (CPU): {both:.2f}x (validation happens at accept, once)")


def idle_ticks(rt: Runtime, ticks: int) -> None:
    for _ in range(ticks):
        inbox_worker.take_inbox(rt)


def idle(directory: Path, counts: list[int], ticks: int) -> None:
    print(f"\nidle peer-inbox worker, {ticks} ticks with nothing to take:")
    for count in counts:
        rt = runtime(directory, f"idle-{count}.db", "CERT-BR", "BR")
        for n in range(count):
            add_peer(rt, f"peer-{n}", None)
        inbox_worker.take_inbox(rt)  # warm: first statements compiled
        wall, cpu = timed(partial(idle_ticks, rt, ticks))
        print(f"{count:>4} peers: {cpu / ticks * 1000:7.3f} ms CPU per tick ({wall / ticks * 1000:.3f} ms wall)")
        rt.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observables", type=int, default=2500)
    parser.add_argument("--idle-peers", default="1,10,35")
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="puente-bench-") as folder:
        identity, objects = shared_objects(Path(folder), args.observables)
        print(f"{len(objects):,} objects ({args.observables:,} observables) from csirt-co")
        runs = [ingestion(Path(folder), identity, objects, n) for n in range(args.runs)]
        report(runs, len(objects))
        idle(Path(folder), [int(n) for n in args.idle_peers.split(",")], args.ticks)


if __name__ == "__main__":
    main()
