"""Full path of a command in the console adapter: parse -> service -> commit -> Reply.

    python bench/console_commands.py [--count 500] [--postgres URL]

Measures `new` with three observables and `show`, median and p99, on a fresh SQLite file and,
with --postgres (or PUENTE_TEST_DATABASE_URL), on PostgreSQL in a scratch schema.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from puente.bot.console.repl import Console
from puente.bot.core import CommandCore
from puente.services.context import Runtime
from puente.services.users import service as users
from puente.settings import load_settings
from puente.storage.engine import make_engine
from puente.storage.migrate import upgrade
from puente.storage.models import Role


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(url: str, count: int) -> dict[str, tuple[float, float]]:
    upgrade(url)
    runtime = Runtime(load_settings(PUENTE_DATABASE_URL=url, PUENTE_CSIRT_COUNTRY="CO"), make_engine(url))
    with runtime.unit_of_work(actor_name="bench") as ctx:
        users.add(ctx, "bench", Role.ANALYST)
    console = Console(CommandCore(runtime), "bench")
    results: dict[str, list[float]] = {"new (3 observables)": [], "show": []}
    for i in range(count):
        line = (
            f"/incident new Bench ticket {i} sev=high countries=CO,BR tlp=amber type=malicious-code/c2-server"
            f" ioc=198.51.100.{i % 250},c2-{i}[.]example,hxxp://c2-{i}[.]example/gate"
        )
        started = time.perf_counter()
        reply = console.run_one(line)
        results["new (3 observables)"].append(time.perf_counter() - started)
        assert reply.ok, reply.text
        started = time.perf_counter()
        reply = console.run_one(f"/incident show {reply.ticket}")
        results["show"].append(time.perf_counter() - started)
        assert reply.ok, reply.text
    runtime.engine.dispose()
    return {name: (statistics.median(s) * 1000, percentile(s, 0.99) * 1000) for name, s in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--postgres", default=os.environ.get("PUENTE_TEST_DATABASE_URL"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        report = {"SQLite": measure(f"sqlite:///{folder}/bench.db", args.count)}
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.postgres)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            separator = "&" if "?" in args.postgres else "?"
            report["PostgreSQL"] = measure(f"{args.postgres}{separator}options=-csearch_path%3D{schema}", args.count)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    print(f"{'backend':<12} {'command':<22} {'median ms':>10} {'p99 ms':>8}   ({args.count} runs each)")
    for backend, rows in report.items():
        for name, (median, p99) in rows.items():
            print(f"{backend:<12} {name:<22} {median:>10.2f} {p99:>8.2f}")


if __name__ == "__main__":
    main()
