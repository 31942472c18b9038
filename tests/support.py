"""Small things tests share that are not fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from puente.services.context import Context, Runtime
from puente.storage.users import by_name


@contextmanager
def acting_as(runtime: Runtime, name: str) -> Iterator[Context]:
    """A unit of work done by the named Puente user, as the command core would set it up."""
    with runtime.unit_of_work() as ctx:
        ctx.actor = by_name(ctx.session, name)
        assert ctx.actor is not None, f"no user {name}"
        yield ctx
