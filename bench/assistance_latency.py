"""Propagation of a request for assistance between two Puente deployments on loopback (push).

    python bench/assistance_latency.py [--count 200]

CSIRT-CO runs in this process as `puente run` would (ASGI app, TAXII server, workers), because a
chat adapter calls the command core inside that process; CERT-BR is a real `puente run`
subprocess with its own SQLite file and port. For each request a fresh ticket is opened at
CSIRT-CO (not timed); the clock runs from `/incident assist …` until CERT-BR's linked ticket
exists in its database. Both sides were configured with `puente partners add` and `puente peers add`.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import uvicorn
from puente_pair import puente_pair

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.server.app import create_app
from puente.server.workers import default_workers
from puente.services.context import Runtime
from puente.settings import load_settings

GOAL_P50_MS = 300.0


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def linked(database: Path, peer_reference: str) -> bool:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        row = connection.execute("SELECT 1 FROM ticket_links WHERE peer_reference = ?", (peer_reference,)).fetchone()
    return row is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, puente_pair(Path(scratch)) as (co, br):
        co.stop()  # serve CSIRT-CO from this process instead, on the same port and database
        runtime = Runtime.from_settings(load_settings(**{k: v for k, v in co.env.items() if k.startswith("PUENTE_")}))
        server = uvicorn.Server(
            uvicorn.Config(create_app(runtime, default_workers()), host="127.0.0.1", port=co.port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        core = CommandCore(runtime)

        def say(text: str) -> str:
            reply = core.handle(Command(text=text, platform="console", user_id="ana"))
            assert reply.ok, reply.plain_text()
            return reply.plain_text()

        samples: list[float] = []
        for number in range(args.count):
            reference = re.search(
                r"Opened (INC-\d{4}-\d{4})", say(f"new Bench incident {number} sev=high countries=CO,BR")
            ).group(1)  # type: ignore[union-attr]
            started = time.perf_counter()
            say(f"assist {reference} cert-br investigate")
            while not linked(br.directory / "puente.db", reference):
                time.sleep(0.002)
                if time.perf_counter() - started > 30:
                    raise SystemExit(f"{reference} did not reach CERT-BR within 30 s; see {br.log}")
            samples.append((time.perf_counter() - started) * 1000)
        server.should_exit = True
        thread.join(10)
    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
    print(f"assist -> linked ticket at the peer (push), {len(samples)} requests on loopback:")
    print(f"  p50 {p50:.0f} ms   p99 {p99:.0f} ms   min {min(samples):.0f} ms   max {max(samples):.0f} ms")
    print(f"  goal p50 < {GOAL_P50_MS:.0f} ms: {'met' if p50 < GOAL_P50_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
