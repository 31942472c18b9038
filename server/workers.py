"""Background workers of `puente run`: each is driven by rows in the database, so a restart loses
nothing and several replicas can run them side by side."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from puente.services.assistance import service as assistance
from puente.services.context import Runtime
from puente.services.escalation import scheduled as escalation_worker
from puente.services.inbox import service as ingestion
from puente.services.peers import scheduled as outbox_worker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Worker:
    """`tick(runtime)` does the work that is due and returns how many seconds to sleep before the next tick."""

    name: str
    tick: Callable[[Runtime], float]


class WorkerPool:
    def __init__(self, runtime: Runtime, workers: list[Worker]) -> None:
        self.runtime = runtime
        self.workers = workers
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for worker in self.workers:
            thread = threading.Thread(target=self._loop, args=(worker,), name=f"worker-{worker.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, worker: Worker) -> None:
        while not self._stop.is_set():
            try:
                pause = worker.tick(self.runtime)
            except Exception:
                log.exception("worker %s failed; retrying shortly", worker.name)
                pause = 5.0
            self._stop.wait(max(0.0, pause))


INBOX_EVERY_SECONDS = 0.1
POLL_EVERY_SECONDS = 30.0
TIMERS_EVERY_SECONDS = 30.0


def read_inbox(runtime: Runtime) -> float:
    """What peers push lands in our TAXII inboxes; a short pause keeps an RFA's way to a ticket fast."""
    ingestion.take_inbox(runtime)
    return INBOX_EVERY_SECONDS


def poll_peers(runtime: Runtime) -> float:
    ingestion.poll_all(runtime)
    return POLL_EVERY_SECONDS


def assistance_timers(runtime: Runtime) -> float:
    """ACK deadlines (re-send, then escalate) and requested deadlines (expire)."""
    with runtime.unit_of_work(actor_name="assistance-timer") as ctx:
        assistance.run_timers(ctx)
    return TIMERS_EVERY_SECONDS


def default_workers() -> list[Worker]:
    """The workers every `puente run` starts."""
    return [
        Worker("escalation", escalation_worker.tick),
        Worker("outbox", outbox_worker.tick),
        Worker("peer-inbox", read_inbox),
        Worker("peer-poller", poll_peers),
        Worker("assistance-timers", assistance_timers),
    ]
