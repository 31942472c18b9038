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

    The rows are the caller's to give away: a column with a bind processor (UTC datetimes, JSON) has its
    values replaced in them by what the driver takes. `order_by` names a column to insert in the order
    of: in index order each row appends to the index instead of landing on a random page.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=list(rows[0]))
    if order_by is not None:
        rows = sorted(rows, key=itemgetter(order_by))
    # Only the columns with a bind processor are processed, each value once per run of repeats (a batch's
    # rows share its timestamp), and written back into the rows: no row is copied but into what the
    # driver takes. The processors are the dialect's own, those an ORM insert runs: a time is the same
    # text whichever way its row was written (on SQLite, text is what compares and sorts).
    for name in rows[0]:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processed = _processed([row[name] for row in rows], process)
            for row, value in zip(rows, processed, strict=True):
                row[name] = value
    if compiled.positional:
        names = list(compiled.positiontup or ())
        # Each row's values in one C call.
        getter = itemgetter(*names)
        params: list[Any] = list(map(getter, rows)) if len(names) > 1 else [(getter(row),) for row in rows]
        connection.exec_driver_sql(compiled.string, params)
    else:
        connection.exec_driver_sql(compiled.string, rows)


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
