"""Import throughput beside plain `stix2.parse`: on Puente's own export and on content we did not write.

Run: .venv/bin/python bench/stix_throughput.py [--observables N] [--runs R] [--misp-attributes A]
Puente's own: a ticket with N observables, exported once on a fresh SQLite file. Third-party: MITRE
ATT&CK for Mobile and the OASIS examples from ../shared/stix (skipped where absent) and a MISP event
of A attributes exported by misp-stix.

Both sides start from the bytes as received: stix2.parse is given the decoded text (it runs json.loads
itself), validation and import the bytes (orjson); JSON decoding is counted on every side.
Each side measured in a process of its own (what one leaves on the heap never slows another), R runs
each, the best run of each reported, in wall and in CPU time, so that a busy machine skews both sides
alike (CPU time least):
- stix2.parse (allow_custom, as Puente's validation accepts custom content);
- strict validation alone, with what checking has read forgotten first (patterns, names, timestamps);
- import as a running Puente does it (validate, map, store, commit): its engine and compiled statements
  warm from an earlier import of other content (a small ticket of another CSIRT), into a fresh SQLite
  file each run, with what checking has read forgotten first. This is what a partner's or peer's
  content meets, and the figure the 10x is claimed on;
- the floor of any such import: the same validation, then each object kept as one stored version (its
  JSON text in a row of Puente's table, by Puente's bulk insert) and committed, and nothing else (no
  ticket, no observables, no lookups), on the same warm engine and fresh file. No import that keeps what
  it validated can be faster; the gap between the two is all that mapping to a ticket costs.
Measured once, each in a process of its own (wall, and the child's CPU from getrusage): a cold
`puente import FILE --as USER` (interpreter start, imports, a fresh engine) beside a cold
`python -c "stix2.parse(…)"`.
Peak memory (tracemalloc) is measured on a separate import of ATT&CK.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import stix2

# The repository root holds tests/ (MISP events); appended, so that the bare stix/ folder shadows nothing.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from puente.services.clock import SystemClock
from puente.services.context import Runtime
from puente.services.exchange import versions
from puente.services.exchange.importer import import_content
from puente.services.exchange.service import export_ticket, serialize
from puente.services.tickets import notes
from puente.services.tickets import service as tickets
from puente.services.tickets.observables import Observable, ObservableKind
from puente.services.users import service as users
from puente.settings import Settings, load_settings
from puente.stix.validation import check_content, forget_what_was_read
from puente.storage import stix_objects
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
    upgrade(_url(directory, name))
    settings = _settings(directory, name, csirt)
    rt = Runtime(settings, make_engine(settings.database_url), SystemClock())
    with rt.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    return rt


def _url(directory: Path, name: str) -> str:
    return f"sqlite:///{directory / name}"


def _settings(directory: Path, name: str, csirt: str) -> Settings:
    url = _url(directory, name)
    return load_settings(PUENTE_DATABASE_URL=url, PUENTE_CSIRT_NAME=csirt, PUENTE_VAR_DIR=str(directory))


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


def _child(command: list[str], env: dict[str, str] | None = None) -> Times:
    """A command run in a process of its own: its wall time and its CPU time (user and system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


# stix2.parse as a producer's tool would call it on a file, in a process of its own.
_PARSE = "import sys, stix2; stix2.parse(open(sys.argv[1], encoding='utf-8').read(), allow_custom=True)"


@dataclass
class Figures:
    count: int
    parse: Times
    check: Times
    warm: Times  # import by a running Puente
    floor: Times  # validation and a stored version per object, nothing else
    cold_import: Times  # `puente import` in a process of its own
    cold_parse: Times  # stix2.parse in a process of its own

    def __add__(self, other: Figures) -> Figures:
        def add(a: Times, b: Times) -> Times:
            return a[0] + b[0], a[1] + b[1]

        return Figures(
            self.count + other.count,
            *(add(getattr(self, name), getattr(other, name)) for name in _TIMED),
        )


_TIMED = ("parse", "check", "warm", "floor", "cold_import", "cold_parse")


SIDES = ("parse", "check", "import", "floor")


def measure_side(side: str, path: Path, runs: int, warm_up: Path) -> Times:
    """Best of `runs` of one side on the payload in `path`, in this process: stix2.parse, validation alone,
    an import by a running Puente, or its floor."""
    payload = path.read_bytes()
    directory = Path(tempfile.mkdtemp(prefix=f"{side}-", dir=path.parent))
    best = (float("inf"), float("inf"))
    for run in range(runs):
        if side == "parse":
            elapsed = _timed(lambda: stix2.parse(payload.decode(), allow_custom=True))
        elif side == "check":
            _fresh_caches()
            elapsed = _timed(lambda: check_content(orjson.loads(payload)))
        else:
            work = _import if side == "import" else _keep
            elapsed = by_running_puente(directory, f"{side}-{run}.db", payload, warm_up.read_bytes(), work)
        best = _best(best, elapsed)
    return best


def by_running_puente(
    directory: Path, name: str, payload: bytes, warm_up: bytes, work: Callable[[Runtime, bytes], None]
) -> Times:
    """One import (`_import`), or its floor (`_keep`), into a fresh database by an engine that has done the
    same with other content (`warm_up`) before."""
    theirs = runtime(directory, name, "CSIRT-BR")
    work(theirs, warm_up)
    _fresh_caches()
    elapsed = _timed(lambda: work(theirs, payload))
    theirs.engine.dispose()
    return elapsed


def _keep(theirs: Runtime, payload: bytes) -> None:
    """The floor of an import: validation, and each object kept as a stored version."""
    with theirs.unit_of_work() as ctx:
        received = [
            versions.row(obj, ticket_id=None, version=1, producer=None, key=None, ours=False)
            for obj in check_content(orjson.loads(payload))
        ]
        stix_objects.add_versions(ctx.session, received, ctx.now())


def _import(theirs: Runtime, payload: bytes) -> None:
    with theirs.unit_of_work() as ctx:
        ctx.actor = by_name(ctx.session, "ana")
        import_content(ctx, payload)


class Measure:
    """stix2.parse, validation alone and an import by a running Puente of one payload, each in a process of
    its own (what one side leaves on the heap never slows another), best of `runs` in wall and CPU time; and
    once each in a cold process."""

    def __init__(self, directory: Path, runs: int, warm_up: bytes) -> None:
        self.directory, self.runs, self.files = directory, runs, 0
        self.warm_up = self._file(warm_up)
        # A cold `puente import` reads the catalogues an earlier command compiled, as on a Puente in use; this
        # first one, of a small ticket, shows what any cold import costs before the content does.
        self.cold_fixed = self._cold(self.warm_up)

    def __call__(self, payload: bytes) -> Figures:
        count = len(orjson.loads(payload)["objects"])
        path = self._file(payload)
        parse_time, check_time, import_time, floor_time = (self._side(side, path) for side in SIDES)
        cold_import, cold_parse = self._cold(path)
        return Figures(count, parse_time, check_time, import_time, floor_time, cold_import, cold_parse)

    def _file(self, payload: bytes) -> Path:
        self.files += 1
        path = self.directory / f"payload-{self.files}.json"
        path.write_bytes(payload)
        return path

    def _side(self, side: str, path: Path) -> Times:
        command = [sys.executable, __file__, "--side", side, "--runs", str(self.runs), "--warm-up", str(self.warm_up)]
        done = subprocess.run([*command, str(path)], check=True, stdout=subprocess.PIPE)
        wall, cpu = orjson.loads(done.stdout)
        return wall, cpu

    def _cold(self, path: Path) -> tuple[Times, Times]:
        """`puente import` and stix2.parse of the payload in `path`, each in a new process: (import, parse)."""
        self.files += 1
        name = f"cold-{self.files}.db"
        runtime(self.directory, name, "CSIRT-BR").engine.dispose()
        settings = _settings(self.directory, name, "CSIRT-BR")
        env = {
            **os.environ,
            "PUENTE_DATABASE_URL": settings.database_url,
            "PUENTE_CSIRT_NAME": settings.csirt_name,
            "PUENTE_VAR_DIR": str(settings.var_dir),
        }
        puente = str(Path(sys.executable).parent / "puente")
        cold_import = _child([puente, "import", str(path), "--as", "ana"], env)
        cold_parse = _child([sys.executable, "-c", _PARSE, str(path)])
        return cold_import, cold_parse


def _rate(count: int, seconds: Times) -> str:
    return f"{count / seconds[0]:>10,.0f} objects/s  ({seconds[0]:.3f} s wall, {seconds[1]:.3f} s CPU)"


def _ratio(parse: Times, other: Times) -> str:
    return f"{parse[1] / other[1]:.1f}x in CPU time, {parse[0] / other[0]:.1f}x in wall time"


def _report(label: str, figures: Figures) -> None:
    count = figures.count
    print(f"{label}: {count:,} objects")
    print(f"  stix2.parse:                            {_rate(count, figures.parse)}")
    print(f"  strict validation alone:                {_rate(count, figures.check)}")
    print(f"  import, running Puente (warm engine):   {_rate(count, figures.warm)}")
    print(f"  import is {_ratio(figures.parse, figures.warm)} the throughput of stix2.parse")
    print(f"    (validation alone {_ratio(figures.parse, figures.check)})")
    print(f"  floor: validation and a stored version  {_rate(count, figures.floor)}")
    print(f"    per object, nothing else, is {_ratio(figures.parse, figures.floor)} stix2.parse")
    print(f"  cold, a process each: puente import     {_rate(count, figures.cold_import)}")
    print(f"                        stix2.parse       {_rate(count, figures.cold_parse)}")
    print(f"    cold `puente import` is {_ratio(figures.cold_parse, figures.cold_import)} cold stix2.parse")


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


def _ticket(ours: Runtime, title: str, count: int) -> str:
    with ours.unit_of_work() as ctx:
        ctx.actor = by_name(ctx.session, "ana")
        draft = tickets.TicketDraft(title=title, countries=["CO", "BR", "AR"], observables=observables(count))
        reference = tickets.open_ticket(ctx, draft).reference
        notes.add_note(ctx, reference, "Sinkholed the first C2 domains.")
    return reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observables", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--misp-attributes", type=int, default=2_000)
    parser.add_argument("--side", choices=SIDES, help="measure one side of PAYLOAD in this process, print JSON")
    parser.add_argument("--warm-up", type=Path, help="with --side import: what the running Puente imported before")
    parser.add_argument("payload", type=Path, nargs="?")
    args = parser.parse_args()
    if args.side is not None:
        print(orjson.dumps(measure_side(args.side, args.payload, args.runs, args.warm_up)).decode())
        return
    directory = Path(tempfile.mkdtemp(prefix="puente-bench-"))
    ours = runtime(directory, "ours.db", "CSIRT-CO")
    reference = _ticket(ours, "Botnet C2 across the region", args.observables)
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
    # What a running Puente imported before: another ticket of ours, small, with a note.
    with ours.unit_of_work(actor_name="operator") as ctx:
        warm_up = serialize(export_ticket(ctx, _ticket(ours, "Scanning from a hosting provider", 20)).bundle)

    measure = Measure(directory, args.runs, warm_up)
    print(f"ticket with {args.observables:,} observables: bundle of {count:,} objects, {len(payload) / 1e6:.1f} MB")
    print(f"export, first (records {result.new_versions:,} versions): {_rate(count, first_export)}")
    print(f"export, unchanged (records none):       {_rate(count, second_export)}")
    print(f"warm, a process for each side: best of {args.runs} runs; cold: one run")
    small = len(orjson.loads(warm_up)["objects"])
    print(f"cold, a process each, a bundle of {small} objects (the fixed cost of a process):")
    print(f"  puente import {measure.cold_fixed[0][0]:.3f} s wall, {measure.cold_fixed[0][1]:.3f} s CPU;", end="")
    print(f" stix2.parse {measure.cold_fixed[1][0]:.3f} s wall, {measure.cold_fixed[1][1]:.3f} s CPU")
    _report("Puente's own export", measure(payload))
    total: Figures | None = None
    for label, content in third_party(args.misp_attributes).items():
        figures = measure(content)
        _report(label, figures)
        total = figures if total is None else total + figures
    if total is not None:
        _report("third-party content, all of the above", total)

    attack = SHARED / "attack" / "mobile-attack-17.1.json"
    if attack.is_file():
        tracemalloc.start()
        seconds, _ = by_running_puente(directory, "attack.db", attack.read_bytes(), warm_up, _import)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        objects = len(orjson.loads(attack.read_bytes())["objects"])
        print(f"ATT&CK import under tracemalloc: {objects / seconds:,.0f} objects/s, peak {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
