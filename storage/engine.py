"""Engines and sessions for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeGuard

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine

# Execution option marking a read-only unit of work.
READ_ONLY = "puente_read_only"


def _private_file(path: Path) -> None:
    """The SQLite file holds peer secrets and personal data: its folder is made for its owner alone
    (0700) and the file is created, or tightened if it was not, readable by its owner alone (0600).
    SQLite gives its -wal and -shm files the mode of the database file."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)


class Turns:
    """The writers of one SQLite file in this process take the write lock in the order they asked for it.

    SQLite's busy handler lets a waiting writer sleep and retry, so a thread that commits and at once
    begins again (a large upload, batch after batch) can keep a chat command or a worker waiting for
    the whole of it. Here each transaction waits its turn in line and hands it to the next on commit
    or rollback. One that waits longer than SQLite's busy timeout goes ahead and lets SQLite decide.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = False
        self._waiting: deque[threading.Event] = deque()

    def take(self, timeout: float) -> bool:
        with self._lock:
            if not self._busy:
                self._busy = True
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(timeout):
            return True
        with self._lock:
            if turn.is_set():  # handed over just as the wait ended
                return True
            self._waiting.remove(turn)
            return False

    def give_back(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()  # still busy: the next in line has it now
            else:
                self._busy = False


_TURNS: dict[str, Turns] = {}
_TURNS_LOCK = threading.Lock()
_HOLDS_TURN = "puente_holds_turn"
BUSY_TIMEOUT_SECONDS = 30


def _in_a_file(database: str | None) -> TypeGuard[str]:
    """A SQLite database in a file of its own, not in memory (nor a URI, which may name memory)."""
    return database is not None and database not in ("", ":memory:") and not database.startswith("file:")


def _turns_for(database: str) -> Turns:
    with _TURNS_LOCK:
        return _TURNS.setdefault(os.path.abspath(database), Turns())


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; a SQLite file gets its private folder, WAL and a busy timeout for concurrent writers.

    Statement parameters are left out of database errors: they may hold a peer's secret, and errors
    end up in logs and tracebacks.
    """
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if _in_a_file(parsed.database):
            _private_file(Path(parsed.database))
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}, **kwargs
        )
        turns = _turns_for(parsed.database or ":memory:")

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so BEGIN IMMEDIATE below takes the write lock.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # Writers queue on the lock up front instead of failing on upgrade from a read lock, and in
            # this process in the order they came (Turns); a read-only unit of work (see `transaction`)
            # takes no lock from writers, nor a turn.
            if connection.get_execution_options().get(READ_ONLY, False):
                connection.exec_driver_sql("BEGIN")
                return
            if turns.take(BUSY_TIMEOUT_SECONDS):
                connection.info[_HOLDS_TURN] = True
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _give_back(connection.info)
                raise

        def _give_back(info: dict[str, Any]) -> None:
            if info.pop(_HOLDS_TURN, False):
                turns.give_back()

        @event.listens_for(engine, "commit")
        def _sqlite_commit(connection: Any) -> None:
            _give_back(connection.info)

        @event.listens_for(engine, "rollback")
        def _sqlite_rollback(connection: Any) -> None:
            _give_back(connection.info)

        @event.listens_for(engine, "checkin")
        def _sqlite_checkin(_dbapi_connection: Any, record: Any) -> None:
            _give_back(record.info)  # a connection handed back mid-transaction (invalidated, say)

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


# How long releasing the caches waits for a connection in use to come back: a unit of work of a worker or
# a command lasts milliseconds; one that lasts longer (another upload) keeps its caches until it is over.
RETURN_WAIT_SECONDS = 5.0


def release_connection_caches(engine: Engine) -> None:
    """Free the caches the pooled connections keep in this process, once a large write has filled them.

    Each SQLite connection keeps a page cache (2 MB by default) and its prepared statements in this
    process; after a 10 MB upload they hold the upload's pages. The pooled connections are closed and
    new ones opened on next use. One in use at that moment (a worker's tick) is waited for and closed
    when it comes back: left to the old pool, it would stay open until a later garbage collection, after
    the memory has been handed back (server/taxii/memory.py), and keep its caches' pages from the system.
    A SQLite database in memory lives in its connection, so it is left alone; so is PostgreSQL, whose
    caches live in the database server and whose connections cost a login to replace.
    """
    if engine.dialect.name != "sqlite" or not _in_a_file(engine.url.database):
        return
    old = engine.pool
    engine.dispose(close=False)  # new connections come from a new pool; the old one is left as it is
    if isinstance(old, QueuePool):
        deadline = time.monotonic() + RETURN_WAIT_SECONDS
        while old.checkedout() > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    old.dispose()  # closes every connection that came back to it


@contextmanager
def transaction(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    `read_only` work (a worker looking for something to do) does not queue behind writers on SQLite.
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A unit of work that is always rolled back: whatever the code inside writes is never kept."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def transient(error: BaseException) -> bool:
    """The database could not be reached or was busy (a lock time-out, a lost connection): trying the same
    work again later may well succeed, unlike a value the database refuses."""
    return isinstance(error, OperationalError)
