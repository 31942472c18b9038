"""Export and import throughput of a ticket with 10,000 observables, beside plain `stix2.parse`.

Run: .venv/bin/python bench/stix_throughput.py [--observables N] [--runs R]
Export runs once on a fresh SQLite file; stix2.parse and import run R times (import each time
into a fresh SQLite file of another CSIRT) and the best run of each is reported, so that a busy
machine skews both sides alike.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import orjson
import stix2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from puente.services.clock import SystemClock
from puente.services.context import Runtime
from puente.services.exchange.importer import import_content
from puente.services.exchange.service import export_ticket, serialize
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import Observable, ObservableKind
from puente.services.users import service as users
from puente.settings import load_settings
from puente.stix.validation import check_content
from puente.storage.engine import make_engine
from puente.storage.migrate import upgrade
from puente.storage.models import Role
from puente.storage.users import by_name


def observables(count: int) -> list[Observable]:
    """A mix of every kind Puente tracks, all distinct."""
    makers = [
        lambda i: Observable(ObservableKind.IPV4, f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"),
        lambda i: Observable(
            ObservableKind.IPV4, f"172.{16 + (i >> 16 & 15)}.{i >> 8 & 255}.{i & 255}".rsplit(".", 1)[0] + ".0/24"
        ),
        lambda i: Observable(ObservableKind.IPV6, f"2001:db8::{i:x}"),
        lambda i: Observable(ObservableKind.DOMAIN, f"host{i}.evil.example"),
        lambda i: Observable(ObservableKind.URL, f"http://host{i}.evil.example/path?id={i}"),
        lambda i: Observable(ObservableKind.EMAIL, f"phish{i}@evil.example"),
        lambda i: Observable(ObservableKind.MD5, f"{i:032x}"),
        lambda i: Observable(ObservableKind.SHA1, f"{i:040x}"),
        lambda i: Observable(ObservableKind.SHA256, f"{i:064x}"),
    ]
    found: dict[Observable, None] = {}
    i = 0
    while len(found) < count:
        found[makers[i % len(makers)](i)] = None
        i += 1
    return list(found)


def runtime(directory: Path, name: str, csirt: str) -> Runtime:
    url = f"sqlite:///{directory / name}"
    upgrade(url)
    settings = load_settings(PUENTE_DATABASE_URL=url, PUENTE_CSIRT_NAME=csirt, PUENTE_VAR_DIR=str(directory))
    rt = Runtime(settings, make_engine(url), SystemClock())
    with rt.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    return rt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observables", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="puente-bench-"))
    ours = runtime(directory, "ours.db", "CSIRT-CO")
    with ours.unit_of_work() as ctx:
        ctx.actor = by_name(ctx.session, "ana")
        draft = tickets.TicketDraft(
            title="Botnet C2 across the region", countries=["CO", "BR", "AR"], observables=observables(args.observables)
        )
        reference = tickets.open_ticket(ctx, draft).reference
        tickets.add_note(ctx, reference, "Sinkholed the first C2 domains.")

    started = time.perf_counter()
    with ours.unit_of_work(actor_name="operator") as ctx:
        result = export_ticket(ctx, reference)
    first_export = time.perf_counter() - started
    payload = serialize(result.bundle)
    count = len(result.bundle["objects"])

    started = time.perf_counter()
    with ours.unit_of_work(actor_name="operator") as ctx:
        again = export_ticket(ctx, reference)
    second_export = time.perf_counter() - started
    assert again.new_versions == 0

    parse_time = check_time = import_time = float("inf")
    for run in range(args.runs):
        started = time.perf_counter()
        stix2.parse(payload.decode())
        parse_time = min(parse_time, time.perf_counter() - started)

        started = time.perf_counter()
        check_content(orjson.loads(payload))
        check_time = min(check_time, time.perf_counter() - started)

        theirs = runtime(directory, f"theirs-{run}.db", "CSIRT-BR")
        started = time.perf_counter()
        with theirs.unit_of_work() as ctx:
            ctx.actor = by_name(ctx.session, "ana")
            imported = import_content(ctx, payload)
        import_time = min(import_time, time.perf_counter() - started)
        assert imported.observables_added == args.observables, imported
        theirs.engine.dispose()

    def rate(seconds: float) -> str:
        return f"{count / seconds:>10,.0f} objects/s  ({seconds:.3f} s)"

    print(f"ticket with {args.observables:,} observables: bundle of {count:,} objects, {len(payload) / 1e6:.1f} MB")
    print(f"export, first (records {result.new_versions:,} versions): {rate(first_export)}")
    print(f"export, unchanged (records none):       {rate(second_export)}")
    print(f"best of {args.runs} runs below")
    print(f"stix2.parse of the bundle:              {rate(parse_time)}")
    print(f"import (validate, map, store, commit):  {rate(import_time)}")
    print(f"  of which strict validation alone:     {rate(check_time)}")
    print(f"import is {parse_time / import_time:.1f}x the throughput of stix2.parse")


if __name__ == "__main__":
    main()
