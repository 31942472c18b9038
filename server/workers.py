"""Background workers of `puente run`: each is driven by rows in the database, so a restart loses
nothing and several replicas can run them side by side."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from puente.services.assistance import scheduled as assistance_worker
from puente.services.context import Runtime
from puente.services.escalation import scheduled as escalation_worker
from puente.services.escalation import stale
from puente.services.inbox import scheduled as inbox_worker
from puente.services.peers import scheduled as outbox_worker
from puente.services.sharing import scheduled as sharing_worker

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


def default_workers() -> list[Worker]:
    """The workers every `puente run` starts."""
    return [
        Worker("escalation", escalation_worker.tick),
        Worker("outbox", outbox_worker.tick),
        Worker("peer-inbox", inbox_worker.tick_inbox),
        Worker("peer-poller", inbox_worker.tick_poller),
        Worker("assistance-timers", assistance_worker.tick),
        Worker("shared-versions", sharing_worker.tick),
        Worker("stale-tickets", stale.tick),
    ]
