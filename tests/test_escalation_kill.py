"""A real worker process killed with SIGKILL in the middle of a chain: after a restart the chain goes
on at the right step, and no step that was sent is sent again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from puente.services.clock import ManualClock
from puente.services.escalation import scheduled as escalation_worker
from tests.conftest import make_runtime
from tests.paging import add_team, say, write_policy

# The child is one `puente run` timer worker on the shared database, its clock pinned to argv[2].
# Its notifier writes what people receive to a file; with a name in argv[4] it hangs while sending
# to that person, so the parent can kill it in the middle of a delivery.
WORKER = r"""
import sys, time
from datetime import datetime
from pathlib import Path
from puente.settings import load_settings
from puente.services.escalation import scheduled as escalation_worker
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.storage.engine import make_engine

url, moment, policy, received, hang_on = sys.argv[1:6]

class FileNotifier:
    platform = "test"
    def can_reach(self, recipient):
        return True
    def send(self, recipient, notice):
        if recipient.name == hang_on:
            with open(received + ".hanging", "w") as mark:
                mark.write(recipient.name)
            time.sleep(3600)
        with open(received, "a") as out:
            out.write(recipient.name + "\n")
        return recipient.name
    def update(self, recipient, handle, notice):
        pass

settings = load_settings(PUENTE_DATABASE_URL=url, PUENTE_CSIRT_COUNTRY="CO", PUENTE_ESCALATION_POLICIES=policy)
runtime = Runtime(settings, make_engine(url), ManualClock(datetime.fromisoformat(moment)))
runtime.notifiers.append(FileNotifier())
while True:
    escalation_worker.tick(runtime)
    time.sleep(0.05)
"""


def _start(url: str, moment: datetime, policy: Path, received: Path, hang_on: str = "-") -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, moment.isoformat(), str(policy), str(received), hang_on]
    )


def _wait_for(path: Path, predicate, what: str, worker: subprocess.Popen[bytes]) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 60
    while not (path.exists() and predicate(path.read_text())):
        assert worker.poll() is None, f"the worker died while waiting for {what}"
        assert time.monotonic() < deadline, f"no {what} within 60 s"
        time.sleep(0.05)


def _kill(worker: subprocess.Popen[bytes]) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def test_killed_mid_chain_the_chain_goes_on_at_the_right_step_and_nothing_is_sent_twice(
    sqlite_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path)
    runtime = make_runtime(sqlite_url, clock, tmp_path, PUENTE_ESCALATION_POLICIES=str(policy))
    add_team(runtime)
    assert say(runtime, "ana", "/incident new Ransomware at the port sev=critical").ok
    runtime.engine.dispose()
    received = tmp_path / "received.txt"
    start = clock.now()

    # Step 1 goes to bob; the process is killed once it has been sent.
    first = _start(sqlite_url, start, policy, received)
    _wait_for(received, lambda text: text.splitlines() == ["bob"], "step 1 to bob", first)
    _kill(first)

    # Five minutes on, step 2 (carla) is due; this process is killed in the middle of sending it.
    second = _start(sqlite_url, start + timedelta(minutes=5), policy, received, hang_on="carla")
    _wait_for(Path(f"{received}.hanging"), lambda text: text == "carla", "the send to carla", second)
    _kill(second)

    # After the lease of the dead sender, a restarted worker delivers step 2 once; step 1 is not repeated.
    third = _start(sqlite_url, start + timedelta(minutes=5) + escalation_worker.PAGE_MESSAGE_LEASE, policy, received)
    try:
        _wait_for(received, lambda text: text.splitlines() == ["bob", "carla"], "step 2 to carla", third)
        time.sleep(1.0)  # several more ticks: nothing else may be sent before step 3 is due
        assert received.read_text().splitlines() == ["bob", "carla"]
    finally:
        _kill(third)
