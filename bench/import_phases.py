"""Where an import's time goes, phase by phase: the figures behind `stix_throughput.py`'s ratios.

Run: .venv/bin/python bench/import_phases.py [--observables N] [--misp-attributes A] [--runs R]

The same payloads as bench/stix_throughput.py (Puente's own export of a ticket of N observables, MITRE ATT&CK
for Mobile and the OASIS examples from ../shared/stix where present, a MISP event of A attributes), each
imported as a running Puente does it: into a fresh SQLite file, by an engine warm from an earlier import,
with what checking has read forgotten first. Each phase is a function of the import wrapped to add up the CPU
time spent in it (the wrapping costs a few per cent); the best of R runs is shown, in milliseconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The payloads, and the warm running Puente, of that benchmark.
import stix_throughput as payloads

from puente.services.exchange import importer, storable, versions
from puente.services.exchange.service import export_ticket, serialize
from puente.services.tickets import service as tickets
from puente.stix import mapping, validation
from puente.storage import stix_objects
from puente.storage.users import by_name

_ROWS = "a row and a JSON text per version"
# (module, function, phase); store_received calls add_versions: its time is counted once, as the insert's.
PHASES: list[tuple[ModuleType, str, str]] = [
    (importer, "_load", "JSON decoding (orjson)"),
    (validation, "check_content", "strict validation"),
    (storable, "shallow", "what the database can hold"),
    (storable, "problem", "what the database can hold"),
    (mapping, "ticket_of", "reading the ticket out of the objects"),
    (importer, "_accepted_observables", "reading the ticket out of the objects"),
    (importer, "_keys", "reading the ticket out of the objects"),
    (tickets, "add_observables", "observables into the ticket"),
    (stix_objects, "add_versions", "versions into the database"),
    (versions, "store_received", _ROWS),
]
spent: defaultdict[str, float] = defaultdict(float)


def _timed(phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[phase] += time.process_time() - started

    return timed


def wrap_phases() -> None:
    for module, name, phase in PHASES:
        setattr(module, name, _timed(phase, getattr(module, name)))


def one_import(directory: Path, name: str, payload: bytes, warm_up: bytes) -> defaultdict[str, float]:
    theirs = payloads.runtime(directory, name, "CSIRT-BR")
    payloads._import(theirs, warm_up)
    payloads._fresh_caches()
    spent.clear()
    started = time.process_time()
    with theirs.unit_of_work() as ctx:
        ctx.actor = by_name(ctx.session, "ana")
        importer.import_content(ctx, payload)
        committing = time.process_time()
    spent["commit"] = time.process_time() - committing
    spent["total"] = time.process_time() - started
    theirs.engine.dispose()
    found = defaultdict(float, spent)
    # store_received's own share, without the insert it calls.
    found[_ROWS] -= found["versions into the database"]
    found["the rest"] = found["total"] - sum(seconds for phase, seconds in found.items() if phase != "total")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observables", type=int, default=10_000)
    parser.add_argument("--misp-attributes", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="puente-phases-"))
    ours = payloads.runtime(directory, "ours.db", "CSIRT-CO")
    exported = []
    for reference in (payloads._ticket(ours, "Botnet C2", args.observables), payloads._ticket(ours, "Scanning", 20)):
        with ours.unit_of_work(actor_name="operator") as ctx:
            exported.append(serialize(export_ticket(ctx, reference).bundle))
    own, warm_up = exported
    content = {"Puente's own export": own, **payloads.third_party(args.misp_attributes)}
    wrap_phases()
    columns: dict[str, defaultdict[str, float]] = {}
    for label, payload in content.items():
        runs = [one_import(directory, f"{len(columns)}-{n}.db", payload, warm_up) for n in range(args.runs)]
        columns[label] = min(runs, key=lambda found: found["total"])
    phases = list(dict.fromkeys(phase for _, _, phase in PHASES)) + ["commit", "the rest", "total"]
    print("CPU ms, best of", args.runs, "|", " | ".join(columns))
    for phase in phases:
        print(f"{phase:52} " + " ".join(f"{found[phase] * 1000:10.1f}" for found in columns.values()))


if __name__ == "__main__":
    main()
