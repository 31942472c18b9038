"""How per-ticket commands grow with the ticket: add, show, export and share at 1k, 10k and 100k observables.

Run: .venv/bin/python bench/ticket_scaling.py [--sizes 1000,10000,100000] [--postgres URL]

For each size, on a fresh database, through the console's full command path (parse -> service ->
commit -> Reply) except export, which runs as `puente export` does:
  add N       one `/incident ioc` command pasting N observables into an empty ticket
  add 1       one more observable into the ticket of N
  show        `/incident show`
  export      the ticket as a STIX bundle, first time (every object versioned) and again (nothing changed)
  share       `/incident share … to PEER`, then its confirmation, first time and again
  show x3     `show` after three shares (must cost what `show` cost before them)
Each figure is one run, wall-clock and CPU seconds; CPU per 1,000 observables staying flat (or
falling) from size to size means the command grows linearly (or better).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from puente.bot.console.repl import Console
from puente.bot.core import CommandCore
from puente.services.context import Runtime
from puente.services.exchange import service as exchange
from puente.services.peers import service as peers
from puente.services.users import service as users
from puente.settings import load_settings
from puente.storage.engine import make_engine
from puente.storage.migrate import upgrade
from puente.storage.models import Role


def pasted(count: int, offset: int = 0) -> str:
    """`count` distinct observables of every kind, written as analysts paste them (some defanged)."""
    makers = [
        lambda i: f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
        lambda i: f"2001:db8::{i >> 16:x}:{i & 0xFFFF:x}",
        lambda i: f"host{i}.evil[.]example",
        lambda i: f"hxxp://host{i}.evil.example/path?id={i}",
        lambda i: f"phish{i}@evil.example",
        lambda i: f"{i:032x}",
        lambda i: f"{i:040x}",
        lambda i: f"{i:064x}",
    ]
    return " ".join(makers[i % len(makers)](i) for i in range(offset, offset + count))


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run (CPU is what a busy machine does not inflate)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(url: str, size: int) -> dict[str, tuple[float, float]]:
    upgrade(url)
    runtime = Runtime(load_settings(PUENTE_DATABASE_URL=url, PUENTE_CSIRT_COUNTRY="CO"), make_engine(url))
    with runtime.unit_of_work(actor_name="bench") as ctx:
        users.add(ctx, "bench", Role.LEAD)
        peers.add(
            ctx,
            peers.PeerDraft(
                name="cert-br",
                countries=["BR"],
                taxii_url="http://127.0.0.1:9/taxii2/",
                collection_id=str(uuid.uuid4()),
            ),
        )
    console = Console(CommandCore(runtime), "bench")

    def run(line: str) -> str:
        reply = console.run_one(line)
        assert reply.ok, reply.text[:500]
        return reply.plain_text()

    def share() -> None:
        preview = run(f"/incident share {reference} to cert-br")
        assert "queued for cert-br" in run(preview.split("Confirm: ", 1)[1].split("\n", 1)[0])

    reference = console.run_one("/incident new Scaling bench countries=CO,BR").ticket
    assert reference is not None
    line = f"/incident ioc {reference} {pasted(size)}"
    figures = {"add N": timed(lambda: run(line))}
    figures["add 1"] = timed(lambda: run(f"/incident ioc {reference} {pasted(1, size)}"))
    figures["show"] = timed(lambda: run(f"/incident show {reference}"))

    def export() -> None:
        with runtime.unit_of_work(actor_name="bench") as ctx:
            exchange.serialize(exchange.export_ticket(ctx, reference).bundle)

    figures["export"] = timed(export)
    figures["export again"] = timed(export)
    figures["share"] = timed(share)
    figures["share again"] = timed(share)
    share()
    figures["show x3"] = timed(lambda: run(f"/incident show {reference}"))
    runtime.engine.dispose()
    return figures


def postgres_url(base: str) -> tuple[str, Callable[[], None]]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--postgres", default=os.environ.get("PUENTE_TEST_DATABASE_URL"))
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    report: dict[str, dict[int, dict[str, tuple[float, float]]]] = {"SQLite": {}}
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            report["SQLite"][size] = measure(f"sqlite:///{folder}/bench.db", size)
        print(f"SQLite {size}: done", file=sys.stderr, flush=True)
    if args.postgres:
        report["PostgreSQL"] = {}
        for size in sizes:
            url, drop = postgres_url(args.postgres)
            try:
                report["PostgreSQL"][size] = measure(url, size)
            finally:
                drop()
            print(f"PostgreSQL {size}: done", file=sys.stderr, flush=True)
    for backend, by_size in report.items():
        names = list(next(iter(by_size.values())))
        print(f"\n{backend}: seconds wall / CPU, and CPU per 1,000 observables")
        print(f"{'command':<14}" + "".join(f"{f'{size:,} observables':>32}" for size in by_size))
        for name in names:
            cells = ""
            for size, figures in by_size.items():
                wall, cpu = figures[name]
                cells += f"{wall:>11.3f} /{cpu:>8.3f} ({cpu / (size / 1000):>7.4f})"
            print(f"{name:<14}{cells}")


if __name__ == "__main__":
    main()
