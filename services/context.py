"""What every domain service is handed: the deployment's runtime and one unit of work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from puente import i18n
from puente.services.clock import Clock, SystemClock
from puente.services.notify import Notifier
from puente.settings import Settings
from puente.storage import timeline
from puente.storage.engine import make_engine, release_connection_caches, snapshot, transaction
from puente.storage.models import User


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while many objects are taken in (an import, a batch of a
    peer's inbox).

    A bundle is tens of thousands of dicts and lists that all live until it is taken in: the collector
    would walk them again and again as the work allocates (a fifth of a 40,000-object import).
    Reference counting still frees what is dropped; the collector runs again once the work is over.
    """
    if not gc.isenabled():  # already held off, by the work this is part of
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass
class Runtime:
    """One Puente deployment as the services see it: settings, database, clock, and the ways to reach people."""

    settings: Settings
    engine: Engine
    clock: Clock = field(default_factory=SystemClock)
    notifiers: list[Notifier] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        return cls(settings, make_engine(settings.effective_database_url), clock or SystemClock())

    @contextmanager
    def unit_of_work(
        self, actor: User | None = None, actor_name: str | None = None, *, read_only: bool = False
    ) -> Iterator[Context]:
        """A transaction: everything done through the context commits together or not at all.
        A `read_only` one only looks (SQLite then takes no write lock for it)."""
        with transaction(self.engine, read_only=read_only) as session:
            yield Context(self, session, actor, actor_name)

    @contextmanager
    def reading(self, actor: User | None = None) -> Iterator[Context]:
        """A unit of work that changes nothing: it is rolled back, whatever the services called do on the way
        (a request past its deadline read as EXPIRED, our identity minted on first use). What a person only
        looks at (the web view) reads through this, so no page load can change state."""
        with snapshot(self.engine) as session:
            yield Context(self, session, actor)

    def release_connection_caches(self) -> None:
        """After a large write: free what the database connections cache in this process (storage/engine.py)."""
        release_connection_caches(self.engine)


@dataclass
class Context:
    runtime: Runtime
    session: Session
    actor: User | None = None
    actor_name: str | None = None

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def who(self) -> str:
        """The name written to the audit timeline."""
        if self.actor is not None:
            return self.actor.name
        return self.actor_name or "system"

    def now(self) -> datetime:
        return self.runtime.clock.now()

    def record(
        self,
        action: str,
        summary: str | i18n.Value = "",
        *,
        ticket_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        at: datetime | None = None,
        actor: str | None = None,
    ) -> None:
        """Append an event to the audit timeline, by whoever acts in this unit of work (or `actor`: a peer, a
        worker), now (or `at`). A ticket's events are read by its analysts: their summary is a phrase (or
        written text), which each reads in their own language (`worded`)."""
        timeline.record(
            self.session,
            at=at or self.now(),
            actor=actor or self.who,
            action=action,
            ticket_id=ticket_id,
            before=before,
            after=after,
            **worded(summary),
        )


def worded(summary: str | i18n.Value) -> dict[str, Any]:
    """An event's summary as the timeline keeps it: in English (the record every check reads), and, when it
    is more than plain text, as the wording each reader reads in their own language. Plain text is kept as it
    is: an operator's record, read on the command line."""
    if isinstance(summary, str):
        return {"summary": summary, "wording": None}
    return {"summary": i18n.in_english(summary), "wording": i18n.stored(summary)}
