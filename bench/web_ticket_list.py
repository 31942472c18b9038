"""The web view's ticket list with 10,000 tickets: server time per page, as a reader filters and searches.

    python bench/web_ticket_list.py [--tickets 10000] [--runs 200] [--postgres URL]

Fills a fresh SQLite file (and, with --postgres or PUENTE_TEST_DATABASE_URL, a scratch PostgreSQL
schema) with tickets of mixed severity, TLP, countries and sectors, three observables each, then
requests /tickets signed in, with the filters a reader uses; prints median and p95 per query (the
target is p95 under 300 ms). Time is measured around the app's handling of the request, in process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from puente.server.app import create_app
from puente.services.context import Runtime
from puente.services.users import service as users
from puente.services.users import signin
from puente.settings import load_settings
from puente.storage.engine import make_engine
from puente.storage.migrate import upgrade
from puente.storage.models import Role, Ticket, TicketObservable

QUERIES = {
    "open (default)": "",
    "all": "scope=all",
    "severity=high": "severity=high",
    "country=BR": "country=BR",
    "all tlp=red sector=energy": "scope=all&tlp=red&sector=energy",
    "q=title words": "q=wave+42",
    "q=observable": "q=c2-4242.example",
    "page 100 of all": "scope=all&offset=5000",
}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def fill(runtime: Runtime, count: int) -> None:
    severities = ("low", "medium", "high", "critical")
    tlps = ("clear", "green", "amber", "amber+strict", "red")
    statuses = ("new", "triage", "in-progress", "resolved", "closed")
    places = (["CO"], ["CO", "BR"], ["BR", "AR"], ["MX"], ["CL", "PE", "CO"])
    sectors: tuple[list[str], ...] = (["energy"], ["healthcare"], [], ["financial-services", "telecommunications"])
    now = datetime.now(UTC)
    tickets = [
        {
            "reference": f"INC-2026-{i:05d}",
            "year": 2026,
            "number": i,
            "title": f"Phishing wave {i} against sector {i % 7}",
            "description": "",
            "severity": severities[i % 4],
            "status": statuses[i % 5],
            "sectors": sectors[i % 4],
            "countries": places[i % 5],
            "tlp": tlps[i % 5],
            "pap": "amber",
            "aware_at": now - timedelta(minutes=i),
            "incident_id": f"incident--{uuid.uuid4()}",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, count + 1)
    ]
    with runtime.unit_of_work(actor_name="bench") as ctx:
        ctx.session.execute(insert(Ticket), tickets)
        ids = [row[0] for row in ctx.session.execute(text("SELECT id FROM tickets ORDER BY id"))]
        observables = [
            {"ticket_id": ticket_id, "kind": kind, "value": value, "added_at": now}
            for n, ticket_id in enumerate(ids, start=1)
            for kind, value in (
                ("ipv4", f"198.51.{n // 250 % 250}.{n % 250}"),
                ("domain", f"c2-{n}.example"),
                ("url", f"http://c2-{n}.example/gate"),
            )
        ]
        ctx.session.execute(insert(TicketObservable), observables)
        users.add(ctx, "bench", Role.ANALYST)


def measure(url: str, count: int, runs: int) -> dict[str, tuple[float, float, int]]:
    upgrade(url)
    runtime = Runtime(load_settings(PUENTE_DATABASE_URL=url, PUENTE_CSIRT_COUNTRY="CO"), make_engine(url))
    fill(runtime, count)
    with runtime.unit_of_work(actor_name="operator") as ctx:
        link = urlsplit(signin.issue_link(ctx, "bench").url)
    results: dict[str, tuple[float, float, int]] = {}
    with TestClient(create_app(runtime)) as client:
        # Signing in is a POST of the link's token (opening the link only asks to continue).
        assert client.get(f"{link.path}?{link.query}").status_code == 200
        signed_in = client.post(link.path, data=parse_qs(link.query), follow_redirects=False)
        assert signed_in.status_code == 303, signed_in.text
        for name, query in QUERIES.items():
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                page = client.get(f"/tickets?{query}")
                samples.append(time.perf_counter() - started)
                assert page.status_code == 200, page.text
            rows = page.text.count("<tr data-reference=")
            results[name] = (statistics.median(samples) * 1000, percentile(samples, 0.95) * 1000, rows)
    runtime.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("PUENTE_TEST_DATABASE_URL"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        report = {"SQLite": measure(f"sqlite:///{folder}/bench.db", args.tickets, args.runs)}
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.postgres)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            separator = "&" if "?" in args.postgres else "?"
            url = f"{args.postgres}{separator}options=-csearch_path%3D{schema}"
            report["PostgreSQL"] = measure(url, args.tickets, args.runs)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    print(f"{'backend':<12} {'/tickets?…':<24} {'median ms':>10} {'p95 ms':>8} {'rows':>5}   ({args.tickets} tickets)")
    for backend, rows in report.items():
        for name, (median, p95, shown) in rows.items():
            print(f"{backend:<12} {name:<24} {median:>10.2f} {p95:>8.2f} {shown:>5}")


if __name__ == "__main__":
    main()
