"""A real worker process killed with SIGKILL in the middle of a chain: after a restart the chain goes
on at the right step, and nobody receives the same step twice.

Nothing here waits for wall-clock time to pass: each process's clock is pinned, every wait is for a
condition (a line in the file of what people received, a row in the database, a number of worker
ticks), and the long limit on each wait only turns a hang into a failure.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from puente.services.clock import ManualClock
from puente.services.escalation import scheduled as escalation_worker
from tests.conftest import make_runtime
from tests.paging import add_team, say, write_policy
from tests.support import wait_until, while_alive

# The child is one `puente run` timer worker on the shared database, its clock pinned to argv[2].
# Its notifier writes what people receive to a file, and counts its ticks in another; with a name
# in argv[5] it hangs while sending to that person, so the parent can kill it in the middle of a send.
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
        step = dict(notice.fields)["Step"]
        with open(received, "a") as out:
            out.write(f"{recipient.name} {step}\n")
        return recipient.name
    def update(self, recipient, handle, notice):
        pass

settings = load_settings(PUENTE_DATABASE_URL=url, PUENTE_CSIRT_COUNTRY="CO", PUENTE_ESCALATION_POLICIES=policy)
runtime = Runtime(settings, make_engine(url), ManualClock(datetime.fromisoformat(moment)))
runtime.notifiers.append(FileNotifier())
ticks = 0
while True:
    escalation_worker.tick(runtime)
    ticks += 1
    Path(received + ".ticks").write_text(str(ticks))
    time.sleep(0.02)
"""

# Step 1 pages four people at once (everyone with at least the oncall role), step 2 one lead.
TEAM_POLICY = """
[policies.critical]
repeat = 1
[[policies.critical.steps]]
role = "oncall"
wait_minutes = 5
[[policies.critical.steps]]
role = "lead"
wait_minutes = 5
"""
STEP_1 = ["ana step 1 of 2", "bob step 1 of 2", "carla step 1 of 2", "dora step 1 of 2"]


class Worker:
    def __init__(self, url: str, moment: datetime, policy: Path, received: Path, hang_on: str = "-") -> None:
        self.received = received
        self.ticks_file = Path(f"{received}.ticks")
        self.ticks_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, url, moment.isoformat(), str(policy), str(received), hang_on]
        )

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        wait_until(while_alive(self.process, condition, f"the worker (awaited: {what})"), what)

    def ticks(self) -> int:
        text = self.ticks_file.read_text() if self.ticks_file.exists() else ""
        return int(text) if text.isdigit() else 0

    def after_more_ticks(self, count: int) -> None:
        """Let the worker go round `count` more times: whatever it would still send, it has sent."""
        target = self.ticks() + count
        self.wait_for(lambda: self.ticks() >= target, f"{count} more ticks")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _sent_in_database(url: str) -> list[str]:
    """Whom the database records as reached ("name step N"), read without taking a write lock."""
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as connection:
        rows = connection.execute(
            "SELECT recipient, step FROM page_deliveries WHERE purpose = 'page' AND status = 'sent' ORDER BY recipient"
        ).fetchall()
    return [f"{name} step {step + 1} of 2" for name, step in rows]


def test_killed_between_and_during_sends_nobody_receives_the_same_step_twice(
    sqlite_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path, TEAM_POLICY)
    runtime = make_runtime(sqlite_url, clock, tmp_path, PUENTE_ESCALATION_POLICIES=str(policy))
    add_team(runtime)
    assert say(runtime, "ana", "/incident new Ransomware at the port sev=critical").ok
    runtime.engine.dispose()
    received = tmp_path / "received.txt"
    start = clock.now()

    # Step 1 goes to four people; the worker hangs in the middle of the send to carla. By then each
    # person already paged is recorded as reached: every send is committed as soon as it returns.
    first = Worker(sqlite_url, start, policy, received, hang_on="carla")
    first.wait_for(lambda: Path(f"{received}.hanging").exists(), "the send to carla")
    assert _lines(received) == ["ana step 1 of 2", "bob step 1 of 2"]
    assert _sent_in_database(sqlite_url) == _lines(received)
    first.kill()

    # Restarted once the dead worker's lease has run out: only the unfinished sends go out, carla's
    # (the one the kill interrupted, so at most one repeat) and dora's; ana and bob are not paged again.
    second = Worker(sqlite_url, start + escalation_worker.PAGE_MESSAGE_LEASE, policy, received)
    second.wait_for(lambda: sorted(_lines(received)) == STEP_1, "step 1 to everyone")
    # A send is written down once it has returned: the last one may reach the database a moment later.
    second.wait_for(lambda: _sent_in_database(sqlite_url) == STEP_1, "step 1 on record")
    second.after_more_ticks(5)  # the same step is not sent again, and step 2 is not due before +5 min
    assert sorted(_lines(received)) == STEP_1
    second.kill()  # killed between deliveries: everything it sent is on record

    # Five minutes on, step 2 goes to the lead once; step 1 is not repeated.
    third = Worker(sqlite_url, start + timedelta(minutes=5), policy, received)
    try:
        third.wait_for(lambda: "dora step 2 of 2" in _lines(received), "step 2 to the lead")
        third.after_more_ticks(5)
        assert sorted(_lines(received)) == [*STEP_1, "dora step 2 of 2"]
    finally:
        third.kill()
