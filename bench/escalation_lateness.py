"""How late does the timer worker fire page steps? 10,000 active pages, due times spread over a window.

    python bench/escalation_lateness.py --backend sqlite
    python bench/escalation_lateness.py --backend postgres [--database-url postgresql+psycopg://…]
    python bench/escalation_lateness.py --kill-every 3     # the workers run in a process SIGKILLed every 3 s

Lateness = when the notifier was handed the page minus when its step was due, measured with the real
worker loop (`puente run`'s WorkerPool running escalation's `scheduled.tick`) and the system clock.
Goal: p99 < 1 s. With --kill-every, the workers run in a child process that is killed with SIGKILL and
restarted at once, again and again while the pages fall due; it also reports the pages sent twice
(goal: none without a kill, at most one per kill) and the pages lost (goal: none).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text, update
from sqlalchemy.engine import Engine

from puente.server.workers import WorkerPool, default_workers
from puente.services.context import Runtime
from puente.services.escalation import scheduled as escalation_worker
from puente.services.escalation import service as escalation
from puente.services.escalation.policies import Policy, make_steps
from puente.services.notify import Notice, Recipient
from puente.services.tickets import service as tickets
from puente.services.users import service as users
from puente.settings import load_settings
from puente.storage.engine import make_engine
from puente.storage.migrate import upgrade
from puente.storage.models import Role
from puente.storage.pages import Page

PAGE = re.compile(r"^Page P(\d+)")


class StopwatchNotifier:
    """Notes when each page reaches it; delivery itself is free, so what is measured is the worker."""

    platform = "bench"

    def __init__(self) -> None:
        self.received: dict[int, datetime] = {}
        self.duplicates = 0
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.expected = 0

    def can_reach(self, recipient: Recipient) -> bool:
        return True

    def send(self, recipient: Recipient, notice: Notice) -> str:
        now = datetime.now(UTC)
        match = PAGE.match(notice.text)
        assert match, notice.text
        with self.lock:
            if int(match.group(1)) in self.received:
                self.duplicates += 1
            self.received.setdefault(int(match.group(1)), now)
            if len(self.received) >= self.expected:
                self.done.set()
        return match.group(1)

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        return None


class FileNotifier:
    """The notifier of a --kill-every child: appends "page-id unix-time" lines to a file, one write per
    line, so a kill never leaves half a line."""

    platform = "bench"

    def __init__(self, path: Path) -> None:
        self.out = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

    def can_reach(self, recipient: Recipient) -> bool:
        return True

    def send(self, recipient: Recipient, notice: Notice) -> str:
        match = PAGE.match(notice.text)
        assert match, notice.text
        os.write(self.out, f"{match.group(1)} {time.time()}\n".encode())
        return match.group(1)

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        return None


def _fork_workers(url: str, received: Path) -> int:
    """`puente run`'s workers in a forked child (with its own engine), as a process that can be killed.

    Forked from this already-imported process, the child starts in milliseconds: what the run measures
    is how the workers recover from a kill, not how long an interpreter takes to start."""
    pid = os.fork()
    if pid == 0:
        try:
            runtime = Runtime(load_settings(PUENTE_DATABASE_URL=url), make_engine(url))
            runtime.notifiers.append(FileNotifier(received))
            WorkerPool(runtime, default_workers()).start()
            threading.Event().wait()
        finally:
            os._exit(0)
    return pid


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _received(path: Path) -> list[tuple[int, datetime]]:
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        page, at = line.split()
        found.append((int(page), datetime.fromtimestamp(float(at), UTC)))
    return found


def _killing(url: str, pages: int, every: float, window_ends: datetime) -> tuple[list[tuple[int, datetime]], int]:
    """Run the workers in a child SIGKILLed every `every` seconds while pages fall due, then in one left
    alone until every page arrived or a lease and a minute more have passed (what never came is lost)."""
    received = Path(tempfile.mkdtemp(prefix="puente-bench-received-")) / "received.txt"
    kills = 0
    while datetime.now(UTC) < window_ends:
        child = _fork_workers(url, received)
        time.sleep(every)
        _kill(child)
        kills += 1
    child = _fork_workers(url, received)
    give_up = time.monotonic() + escalation_worker.PAGE_MESSAGE_LEASE.total_seconds() + 60
    while len({page for page, _ in _received(received)}) < pages and time.monotonic() < give_up:
        time.sleep(0.5)
    _kill(child)
    return _received(received), kills


def _database(backend: str, url: str | None) -> tuple[str, tuple[Engine, str] | None]:
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="puente-bench-")
        return f"sqlite:///{folder}/puente.db", None
    base = url or os.environ.get("PUENTE_TEST_DATABASE_URL")
    if not base:
        sys.exit("postgres: give --database-url or set PUENTE_TEST_DATABASE_URL")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", (admin, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: $PUENTE_TEST_DATABASE_URL)")
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which the due times are spread")
    parser.add_argument("--replicas", type=int, default=1, help="worker pools sharing the database")
    parser.add_argument("--kill-every", type=float, help="run the workers in a child process SIGKILLed this often (s)")
    args = parser.parse_args()

    url, cleanup = _database(args.backend, args.database_url)
    upgrade(url)
    settings = load_settings(PUENTE_DATABASE_URL=url, PUENTE_VAR_DIR=tempfile.mkdtemp(prefix="puente-bench-var-"))
    notifier = StopwatchNotifier()
    notifier.expected = args.pages
    runtime = Runtime(settings, make_engine(url))
    runtime.notifiers.append(notifier)

    one_step = Policy(repeat=1, steps=make_steps(("user", "oncall", 0)))
    setup_started = time.perf_counter()
    with runtime.unit_of_work(actor_name="bench") as ctx:
        ctx.actor = users.add(ctx, "bench", Role.ADMIN)
        users.add(ctx, "oncall", Role.ONCALL)
        ticket = tickets.open_ticket(ctx, tickets.TicketDraft(title="Lateness benchmark"))
        escalation.cancel_pages(ctx, ticket, "benchmark set-up")  # only the staggered pages below
    parked = datetime.now(UTC) + timedelta(days=1)
    with runtime.unit_of_work(actor_name="bench") as ctx:
        ids = [
            escalation.raise_page(ctx, ticket, "bench", f"page {index}", policy=one_step, fire_at=parked).id or 0
            for index in range(args.pages)
        ]
    # Raising 10,000 pages takes a while; only then spread their due times evenly over the window.
    first_due = datetime.now(UTC) + timedelta(seconds=3)
    step = args.spread / args.pages
    due = {page_id: first_due + timedelta(seconds=index * step) for index, page_id in enumerate(ids)}
    with runtime.unit_of_work(actor_name="bench") as ctx:
        ctx.session.execute(update(Page), [{"id": page_id, "next_fire_at": at} for page_id, at in due.items()])
    print(
        f"{args.backend}: {args.pages} pages due from {first_due:%H:%M:%S} over {args.spread:.0f} s"
        f" (set-up {time.perf_counter() - setup_started:.1f} s); {args.replicas} replica(s)",
        flush=True,
    )

    if args.kill_every:
        runtime.engine.dispose()  # no connection of this process is shared with the forked children
        _report_killing(args, url, due, first_due)
        _drop(cleanup)
        return
    replicas = [runtime] + [Runtime(settings, make_engine(url), notifiers=[notifier]) for _ in range(args.replicas - 1)]
    pools = [WorkerPool(r, default_workers()) for r in replicas]
    for pool in pools:
        pool.start()
    deadline = (first_due - datetime.now(UTC)).total_seconds() + args.spread + 120
    finished = notifier.done.wait(deadline)
    for pool in pools:
        pool.stop()

    lateness = sorted((notifier.received[page_id] - due[page_id]).total_seconds() for page_id in notifier.received)
    if not finished:
        print(f"only {len(lateness)} of {args.pages} pages fired before the time-out")
    quantiles = statistics.quantiles(lateness, n=100, method="inclusive")
    print(
        f"{args.backend}: lateness over {len(lateness)} page steps: p50 {quantiles[49] * 1000:.0f} ms,"
        f" p99 {quantiles[98] * 1000:.0f} ms, max {lateness[-1] * 1000:.0f} ms,"
        f" early {sum(1 for x in lateness if x < 0)}, sent twice {notifier.duplicates}"
    )
    for r in replicas:
        r.engine.dispose()
    _drop(cleanup)


def _report_killing(args: argparse.Namespace, url: str, due: dict[int, datetime], first_due: datetime) -> None:
    received, kills = _killing(url, args.pages, args.kill_every, first_due + timedelta(seconds=args.spread))
    first: dict[int, datetime] = {}
    twice = 0
    for page, at in received:
        if page in first:
            twice += 1
        else:
            first[page] = at
    lateness = sorted((first[page] - due[page]).total_seconds() for page in first)
    quantiles = statistics.quantiles(lateness, n=100, method="inclusive")
    print(
        f"{args.backend}, SIGKILL every {args.kill_every:g} s ({kills} kills): lateness over {len(lateness)} page"
        f" steps: p50 {quantiles[49] * 1000:.0f} ms, p99 {quantiles[98] * 1000:.0f} ms,"
        f" max {lateness[-1] * 1000:.0f} ms; sent twice {twice} (at most one per kill: {kills});"
        f" lost {args.pages - len(first)}"
    )


def _drop(cleanup: tuple[Engine, str] | None) -> None:
    if cleanup is not None:
        admin, schema = cleanup
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
