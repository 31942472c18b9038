"""Small things tests share that are not fixtures."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from puente.services.context import Context, Runtime
from puente.storage.users import by_name


@contextmanager
def acting_as(runtime: Runtime, name: str) -> Iterator[Context]:
    """A unit of work done by the named Puente user, as the command core would set it up."""
    with runtime.unit_of_work() as ctx:
        ctx.actor = by_name(ctx.session, name)
        assert ctx.actor is not None, f"no user {name}"
        yield ctx


def reference_this_year(number: int) -> str:
    """The reference of the nth ticket opened this year where the real clock runs (a `puente` process, a pair
    of Puentes): a ticket is numbered in the year it is opened, which is not always the year a test was written."""
    return f"INC-{datetime.now(UTC).year}-{number:04d}"


def confirmation(preview: str) -> str:
    """The command a share or notify preview gives to confirm it, with the preview's digest."""
    match = re.search(r"^\s*Confirm: (.+)$", preview, re.MULTILINE)
    assert match, f"no confirmation in:\n{preview}"
    return match.group(1)


def wait_until(condition: Callable[[], bool], what: str | Callable[[], str], timeout: float = 600.0) -> None:
    """Poll until `condition` holds. The timeout only ends a test that is stuck: a slow, shared
    machine must never make a correct run fail. `what` names what was awaited; given as a function,
    it is called when the wait ends unmet, so it can say what was seen instead."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what() if callable(what) else what}")
        time.sleep(0.05)


def while_alive(process: subprocess.Popen[Any], condition: Callable[[], bool], who: str) -> Callable[[], bool]:
    """`condition` for `wait_until` when another process does the work: a wait for a process that died ends at
    once, saying so, instead of when the timeout runs out."""

    def check() -> bool:
        assert process.poll() is None, f"{who} died (exit status {process.returncode})"
        return condition()

    return check
