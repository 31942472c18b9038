"""Inserting many rows at once, straight to the database driver.

SQLAlchemy's executemany processes each row's parameters through several layers; for the tens of
thousands of rows a large ticket, share or peer envelope brings, that costs more than the insert
itself. Here each column's bind processor (UTC datetimes, JSON, …) runs once per value and the
driver gets the rows as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

_NOTHING = object()


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]], order_by: str | None = None) -> None:
    """Insert `rows` (dicts with the same keys, Python values) into `table` in the session's transaction.

    `order_by` names a column to insert in the order of: in index order each row appends to the
    index instead of landing on a random page.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=list(rows[0]))
    if order_by is not None:
        rows = sorted(rows, key=itemgetter(order_by))
    names = list(compiled.positiontup or ()) if compiled.positional else list(rows[0])
    # Each row's values in one C call; then only the columns with a bind processor (UTC datetimes, JSON)
    # are processed, each value once per run of repeats (a batch's rows share its timestamp). The
    # processors are the dialect's own, those an ORM insert runs: a time is the same text whichever way
    # its row was written (on SQLite, text is what compares and sorts).
    getter = itemgetter(*names)
    params: list[Any] = list(map(getter, rows)) if len(names) > 1 else [(getter(row),) for row in rows]
    processors = {n: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for n, name in enumerate(names)}
    if any(processors.values()):
        columns: list[Any] = list(zip(*params, strict=True))
        for n, process in processors.items():
            if process is not None:
                columns[n] = _processed(columns[n], process)
        params = list(zip(*columns, strict=True))
    if not compiled.positional:
        params = [dict(zip(names, values, strict=True)) for values in params]
    connection.exec_driver_sql(compiled.string, params)


def _processed(values: Sequence[Any], process: Callable[[Any], Any]) -> list[Any]:
    """The values as the driver takes them; a value repeated in a run is processed once."""
    done: list[Any] = []
    last: Any = _NOTHING
    processed: Any = None
    for value in values:
        if value is not last:
            last, processed = value, None if value is None else process(value)
        done.append(processed)
    return done
