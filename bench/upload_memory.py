"""Memory of the TAXII server around several 10 MB uploads: does it return to its level?

Run: .venv/bin/python bench/upload_memory.py [--uploads 4] [--objects 24000] [--allocator malloc|pymalloc]
     [--leave caches|thresholds|connections]

Puente serves TAXII from this process on a fresh SQLite file, with its workers, as `puente run` does;
each upload (a partner POSTing an envelope of N indicators, about 10 MB for 24,000) comes from a child
process, so what is measured is the server alone. Its level is its resident memory (RSS) after a
small warm-up upload (600 objects, 250 KB) that loads what any upload loads once: modules, and the
statements of a whole batch. After each upload, once the server has handed memory back
(server/taxii/memory.py), it reports the RSS and the arenas Python's small-object allocator holds
(1 MiB each). `--allocator` is the one Python allocates objects with: glibc's malloc, as `puente run`
sets (PYTHONMALLOC=malloc, cli/main.py), or Python's own pymalloc. `--leave` leaves out one of what
is done after a large upload, to show what it keeps: `caches` (of read timestamps and pattern
shapes), `thresholds` (glibc's, then sliding as by default), `connections` (the pooled SQLite
connections and their page caches). It may be given more than once.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from puente.server.app import create_app
from puente.server.taxii import memory
from puente.server.workers import default_workers
from puente.services.clock import SystemClock
from puente.services.context import Runtime
from puente.services.feeds import door, partners
from puente.settings import load_settings
from puente.storage.engine import make_engine
from puente.storage.migrate import upgrade

PARTNER = "identity--5b2e8c1a-3f4d-4e6a-8b9c-1d2e3f4a5b6c"
# The partner: builds its envelope and posts it, in a process of its own.
UPLOAD = """
import sys, uuid, httpx, orjson
url, user, password, first, count, creator = sys.argv[1:7]
first, count = int(first), int(count)
objects = [
    {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.UUID(int=n + 1, version=4)}",
        "created": f"2026-01-05T12:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000:03d}Z",
        "modified": f"2026-01-05T12:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000:03d}Z",
        "created_by_ref": creator, "name": f"C2 server {n}",
        "pattern": f"[ipv4-addr:value = '198.51.{n // 250 % 250}.{n % 250}']", "pattern_type": "stix",
        "valid_from": "2026-01-05T12:00:00.000Z", "indicator_types": ["malicious-activity"],
    }
    for n in range(first, first + count)
]
body = orjson.dumps({"objects": objects})
taxii = {"Accept": "application/taxii+json;version=2.1", "Content-Type": "application/taxii+json;version=2.1"}
answer = httpx.post(url, content=body, auth=(user, password), timeout=600, headers=taxii)
assert answer.status_code == 202, answer.text[:300]
print(len(body))
"""


def resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def arenas() -> int:
    """The arenas Python's small-object allocator holds now (from its own statistics, written to stderr);
    -1 when objects are allocated with malloc."""
    read, write = os.pipe()
    saved = os.dup(2)
    os.dup2(write, 2)
    try:
        sys._debugmallocstats()
    finally:
        os.dup2(saved, 2)
        os.close(write)
        os.close(saved)
    chunks = []
    while chunk := os.read(read, 1 << 16):
        chunks.append(chunk)
    os.close(read)
    found = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", b"".join(chunks).decode())
    return int(found.group(1).replace(",", "")) if found else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=4)
    parser.add_argument("--objects", type=int, default=24_000)
    parser.add_argument("--allocator", choices=["malloc", "pymalloc"], default="malloc")
    parser.add_argument("--leave", action="append", choices=["caches", "thresholds", "connections"], default=[])
    args = parser.parse_args()
    if os.environ.get("PYTHONMALLOC") != args.allocator:  # chosen when the interpreter starts
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], {**os.environ, "PYTHONMALLOC": args.allocator})
    if "caches" in args.leave:
        memory.forget_what_was_read = lambda: None  # type: ignore[assignment]
    if "thresholds" in args.leave:
        memory.fix_allocator_thresholds = lambda: None  # type: ignore[assignment]
    if "connections" in args.leave:
        Runtime.release_connection_caches = lambda self: None  # type: ignore[method-assign]
    # Memory is handed back once an upload's request is over, after its answer: each measure waits for it.
    handed_back = threading.Semaphore(0)
    give_back = memory.give_back

    def give_back_and_say(runtime: Runtime) -> None:
        give_back(runtime)
        handed_back.release()

    memory.give_back = give_back_and_say  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'puente.db'}"
        upgrade(url)
        settings = load_settings(
            PUENTE_DATABASE_URL=url, PUENTE_CSIRT_NAME="CSIRT-CO", PUENTE_CSIRT_COUNTRY="CO", PUENTE_VAR_DIR=scratch
        )
        runtime = Runtime(settings, make_engine(url), SystemClock())
        with runtime.unit_of_work(actor_name="operator") as ctx:
            issued = partners.add(ctx, "cert-br", peer="cert-br", identity=PARTNER)
        inbox = next(g.id for g in issued.collections if g.alias == "cert-br-inbox")
        app = create_app(runtime, default_workers())
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        target = f"http://127.0.0.1:{port}/taxii2/api/collections/{inbox}/objects/"

        def upload(first: int, count: int) -> tuple[int, float]:
            started = time.monotonic()
            posted = subprocess.run(
                [sys.executable, "-c", UPLOAD, target, issued.user, issued.password, str(first), str(count), PARTNER],
                capture_output=True,
                text=True,
                check=True,
            )
            return int(posted.stdout), time.monotonic() - started

        upload(10_000_000, door.BATCH + 100)  # what any upload loads once (too small to be handed back)
        levels = [(resident_mb(), arenas())]
        seconds = []
        for n in range(args.uploads):
            size, took = upload(n * args.objects, args.objects)
            seconds.append(took)
            assert handed_back.acquire(timeout=120), "the server handed memory back after the upload"
            levels.append((resident_mb(), arenas()))
        server.should_exit = True
        thread.join(10)
        runtime.engine.dispose()

    left = f", leaving {' and '.join(args.leave)}" if args.leave else ""
    print(
        f"server memory around {args.uploads} uploads of {size / 1e6:.1f} MB ({args.objects} objects),"
        f" allocating with {args.allocator}{left}:"
    )
    held = " ({} pymalloc arenas)" if args.allocator == "pymalloc" else ""
    print(f"  before: RSS {levels[0][0]:.0f} MB" + held.format(levels[0][1]))
    for n, ((rss, count), took) in enumerate(zip(levels[1:], seconds, strict=True), 1):
        print(f"  after upload {n} ({took:.1f} s): RSS {rss:.0f} MB ({rss - levels[0][0]:+.0f})" + held.format(count))


if __name__ == "__main__":
    main()
