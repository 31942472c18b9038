"""Pages survive a crash at any point of a step and are fired once when several workers share the database."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.escalation import scheduled as escalation_worker
from puente.services.escalation import service as escalation
from puente.services.escalation.policies import Policy, make_steps
from puente.services.tickets import service as tickets
from puente.storage import users
from tests.conftest import make_runtime
from tests.paging import RecordingNotifier, add_team, say, write_policy


def _replica(url: str, clock: ManualClock, tmp_path: Path, notifier: RecordingNotifier) -> Runtime:
    """One `puente run` process: its own engine and notifiers on the shared database."""
    runtime = make_runtime(url, clock, tmp_path, PUENTE_ESCALATION_POLICIES=str(write_policy(tmp_path)))
    runtime.notifiers.append(notifier)
    return runtime


def test_crash_after_firing_a_step_sends_it_once_after_restart_and_the_chain_goes_on(
    database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    before = RecordingNotifier()
    first = _replica(database_url, clock, tmp_path, before)
    add_team(first)
    say(first, "ana", "/incident new Ransomware sev=critical")
    assert escalation_worker.fire_due_steps(first) == 1  # step 1 fired (deliveries written), then the process dies
    first.engine.dispose()

    after = RecordingNotifier()
    second = _replica(database_url, clock, tmp_path, after)
    escalation_worker.tick(second)
    escalation_worker.tick(second)
    assert before.sent == [] and after.recipients() == ["bob"]
    clock.advance(timedelta(minutes=5))
    escalation_worker.tick(second)
    assert after.recipients() == ["bob", "carla"], "step 2 at +5 min, step 1 not again"
    second.engine.dispose()


def test_crash_between_claiming_a_delivery_and_sending_it_retries_after_the_lease(
    database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    before = RecordingNotifier()
    first = _replica(database_url, clock, tmp_path, before)
    add_team(first)
    say(first, "ana", "/incident new Ransomware sev=critical")
    escalation_worker.fire_due_steps(first)
    with first.unit_of_work(actor_name="escalation") as ctx:
        claimed = [item for item in escalation_worker.due_messages(ctx, 10) if escalation_worker.claim(ctx, item)]
    assert [item.recipient.name for item in claimed] == ["bob"]
    first.engine.dispose()  # died before sending

    after = RecordingNotifier()
    second = _replica(database_url, clock, tmp_path, after)
    escalation_worker.tick(second)
    assert after.sent == [], "another worker may hold the delivery: wait for its lease"
    clock.advance(escalation_worker.PAGE_MESSAGE_LEASE)
    escalation_worker.tick(second)
    escalation_worker.tick(second)
    assert after.recipients() == ["bob"]
    clock.advance(timedelta(minutes=4))
    escalation_worker.tick(second)
    assert after.recipients() == ["bob", "carla"]
    second.engine.dispose()


def test_two_workers_fire_each_step_exactly_once(database_url: str, clock: ManualClock, tmp_path: Path) -> None:
    shared = RecordingNotifier()
    setup = _replica(database_url, clock, tmp_path, shared)
    add_team(setup)
    two_steps = Policy(repeat=2, steps=make_steps(("user", "bob", 0)))
    with setup.unit_of_work(actor_name="ana") as ctx:
        ctx.actor = users.by_name(ctx.session, "ana")
        for number in range(60):
            ticket = tickets.open_ticket(ctx, tickets.TicketDraft(title=f"Wave {number}"))
            escalation.raise_page(ctx, ticket, "escalate", f"wave {number}", policy=two_steps)
    setup.engine.dispose()

    workers = [_replica(database_url, clock, tmp_path, shared) for _ in range(2)]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def work(runtime: Runtime) -> None:
        try:
            start.wait()
            idle = 0
            while idle < 3:  # small batches so the two really interleave
                fired = escalation_worker.fire_due_steps(runtime, limit=5)
                done = fired + escalation_worker.send_due_page_messages(runtime, limit=5)
                idle = 0 if done else idle + 1
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for runtime in workers:
        runtime.engine.dispose()
    assert failures == []
    fired = Counter((notice.text, dict(notice.fields)["Step"]) for _, notice in shared.sent)
    assert len(fired) == 120, "60 pages x 2 rounds"
    assert set(fired.values()) == {1}, [key for key, count in fired.items() if count > 1]
