"""Import throughput beside plain `stix2.parse`: on Puente's own export and on content we did not write.

Run: .venv/bin/python bench/stix_throughput.py [--observables N] [--runs R] [--misp-attributes A]
Puente's own: a ticket with N observables, exported once on a fresh SQLite file. Third-party: MITRE
ATT&CK for Mobile and the OASIS examples from ../shared/stix (skipped where absent) and a MISP event
of A attributes exported by misp-stix. stix2.parse and import (validate, map, store, commit, each time
into a fresh SQLite file, with Puente's caches emptied) run R times and the best run of each is
reported, in wall and in CPU time, so that a busy machine skews both sides alike (CPU time least).
Peak memory (tracemalloc) is measured on a separate import of ATT&CK.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import stix2

# The repository root holds tests/ (MISP events); appended, so that the bare stix/ folder shadows nothing.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from puente.services.clock import SystemClock
from puente.services.context import Runtime
from puente.services.exchange.importer import import_content
from puente.services.exchange.service import export_ticket, serialize
from puente.services.tickets import notes
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import Observable, ObservableKind
from puente.services.users import service as users
from puente.settings import load_settings
from puente.stix.validation import check_content, forget_what_was_read
from puente.storage.engine import make_engine
from puente.storage.migrate import upgrade
from puente.storage.models import Role
from puente.storage.users import by_name
from tests import misp

SHARED = Path(__file__).resolve().parents[2] / "shared" / "stix"


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


def _fresh_caches() -> None:
    """Forget all that checking has read (patterns, property names, timestamps): every import starts cold."""
    forget_what_was_read()


Times = tuple[float, float]  # (wall, CPU) seconds


def _timed(action: Callable[[], object]) -> Times:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def _best(a: Times, b: Times) -> Times:
    return min(a[0], b[0]), min(a[1], b[1])


class Measure:
    """stix2.parse, validation alone and a whole import of one payload, best of `runs`, in wall and CPU time."""

    def __init__(self, directory: Path, runs: int) -> None:
        self.directory, self.runs, self.imports = directory, runs, 0

    def __call__(self, payload: bytes) -> tuple[int, Times, Times, Times]:
        count = len(orjson.loads(payload)["objects"])
        never = (float("inf"), float("inf"))
        parse_time = check_time = import_time = never
        for _ in range(self.runs):
            parse_time = _best(parse_time, _timed(lambda: stix2.parse(payload.decode(), allow_custom=True)))
            _fresh_caches()
            check_time = _best(check_time, _timed(lambda: check_content(orjson.loads(payload))))
            _fresh_caches()
            import_time = _best(import_time, self.import_once(payload))
        return count, parse_time, check_time, import_time

    def import_once(self, payload: bytes) -> Times:
        self.imports += 1
        theirs = runtime(self.directory, f"theirs-{self.imports}.db", "CSIRT-BR")

        def run() -> None:
            with theirs.unit_of_work() as ctx:
                ctx.actor = by_name(ctx.session, "ana")
                import_content(ctx, payload)

        elapsed = _timed(run)
        theirs.engine.dispose()
        return elapsed


def _rate(count: int, seconds: Times) -> str:
    return f"{count / seconds[0]:>10,.0f} objects/s  ({seconds[0]:.3f} s wall, {seconds[1]:.3f} s CPU)"


def _report(label: str, count: int, parse_time: Times, check_time: Times, import_time: Times) -> None:
    print(f"{label}: {count:,} objects")
    print(f"  stix2.parse:                          {_rate(count, parse_time)}")
    print(f"  import (validate, map, store, commit):{_rate(count, import_time)}")
    print(f"    of which strict validation alone:   {_rate(count, check_time)}")
    print(
        f"  import is {parse_time[0] / import_time[0]:.1f}x the throughput of stix2.parse in wall time,"
        f" {parse_time[1] / import_time[1]:.1f}x in CPU time"
        f" (validation alone {parse_time[0] / check_time[0]:.1f}x, {parse_time[1] / check_time[1]:.1f}x)"
    )


def third_party(misp_attributes: int) -> dict[str, bytes]:
    """Content we did not write: ATT&CK, the OASIS examples (as one bundle) and a MISP export."""
    found: dict[str, bytes] = {}
    attack = SHARED / "attack" / "mobile-attack-17.1.json"
    if attack.is_file():
        found["MITRE ATT&CK for Mobile 17.1"] = attack.read_bytes()
    examples: list[dict[str, Any]] = []
    for path in sorted((SHARED / "oasis-examples").glob("*.json")):
        data = json.loads(path.read_text())
        examples += data["objects"] if data.get("type") == "bundle" else [data]
    if examples:
        unique = list({o["id"]: o for o in examples}.values())
        found["OASIS examples, as one bundle"] = orjson.dumps(
            {"type": "bundle", "id": f"bundle--{uuid4()}", "objects": unique}
        )
    event = misp.event()
    misp.add_common_attributes(event, max(1, misp_attributes // len(misp.COMMON_ATTRIBUTES)))
    found[f"MISP event of {len(event.attributes)} attributes (misp-stix)"] = orjson.dumps(misp.to_stix(event))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observables", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--misp-attributes", type=int, default=2_000)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="puente-bench-"))
    ours = runtime(directory, "ours.db", "CSIRT-CO")
    with ours.unit_of_work() as ctx:
        ctx.actor = by_name(ctx.session, "ana")
        draft = tickets.TicketDraft(
            title="Botnet C2 across the region", countries=["CO", "BR", "AR"], observables=observables(args.observables)
        )
        reference = tickets.open_ticket(ctx, draft).reference
        notes.add_note(ctx, reference, "Sinkholed the first C2 domains.")

    exported = []

    def export() -> None:
        with ours.unit_of_work(actor_name="operator") as ctx:
            exported.append(export_ticket(ctx, reference))

    first_export = _timed(export)
    second_export = _timed(export)
    result, again = exported
    assert again.new_versions == 0
    payload = serialize(result.bundle)
    count = len(result.bundle["objects"])

    measure = Measure(directory, args.runs)
    print(f"ticket with {args.observables:,} observables: bundle of {count:,} objects, {len(payload) / 1e6:.1f} MB")
    print(f"export, first (records {result.new_versions:,} versions): {_rate(count, first_export)}")
    print(f"export, unchanged (records none):       {_rate(count, second_export)}")
    print(f"best of {args.runs} runs below")
    _report("Puente's own export", *measure(payload))
    count, parse_time, check_time, import_time = 0, (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)
    for label, content in third_party(args.misp_attributes).items():
        figures = measure(content)
        _report(label, *figures)
        count += figures[0]
        parse_time, check_time, import_time = (
            (a[0] + b[0], a[1] + b[1]) for a, b in zip((parse_time, check_time, import_time), figures[1:], strict=True)
        )
    _report("third-party content, all of the above", count, parse_time, check_time, import_time)

    attack = SHARED / "attack" / "mobile-attack-17.1.json"
    if attack.is_file():
        _fresh_caches()
        tracemalloc.start()
        seconds, _ = measure.import_once(attack.read_bytes())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        objects = len(orjson.loads(attack.read_bytes())["objects"])
        print(f"ATT&CK import under tracemalloc: {objects / seconds:,.0f} objects/s, peak {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
