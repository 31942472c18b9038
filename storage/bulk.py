"""Inserting many rows at once, straight to the database driver.

SQLAlchemy's executemany processes each row's parameters through several layers; for the tens of
thousands of rows a large ticket, share or peer envelope brings, that costs more than the insert
itself. Here each column's bind processor (UTC datetimes, JSON, …) runs once per value and the
driver gets the rows as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

_NOTHING = object()


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]], order_by: str | None = None) -> None:
    """Insert `rows` (dicts with the same keys, Python values) into `table` in the session's transaction.

    `order_by` names a column to insert in the order of: in index order each row appends to the index
    instead of landing on a random page.
    """
    if not rows:
        return
    columns = list(rows[0])
    getter = itemgetter(*columns)
    # Each row's values in one C call.
    values = list(map(getter, rows)) if len(columns) > 1 else [(getter(row),) for row in rows]
    insert_values(session, table, columns, values, order_by)


def insert_values(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    order_by: str | None = None,
    same: Mapping[str, Any] | None = None,
) -> None:
    """Insert `rows`, each a tuple of Python values in the order of `columns`, into `table` in the session's
    transaction: what a caller building many rows should give (a dict a row costs more than the insert).

    `same` gives columns whose value is the same in every row (the batch's time) once, after `columns`.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if order_by is not None:
        rows = sorted(rows, key=itemgetter(columns.index(order_by)))
    # Only the columns with a bind processor (UTC datetimes, JSON) are processed, each value once per run of
    # repeats; a value the same in every row, once. The processors are the dialect's own, those an ORM insert
    # runs: a time is the same text whichever way its row was written (on SQLite, text is what compares and
    # sorts).
    for n, name in enumerate(columns):
        process = _processor(table, name, dialect)
        if process is not None:
            processed = _processed([row[n] for row in rows], process)
            rows = [(*row[:n], value, *row[n + 1 :]) for row, value in zip(rows, processed, strict=True)]
    if same:
        added = tuple(
            _processed([value], process)[0] if (process := _processor(table, name, dialect)) is not None else value
            for name, value in same.items()
        )
        columns = [*columns, *same]
        rows = [row + added for row in rows]
    compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    if not compiled.positional:
        connection.exec_driver_sql(compiled.string, [dict(zip(columns, row, strict=True)) for row in rows])
        return
    order = [columns.index(name) for name in compiled.positiontup or ()]
    if order != list(range(len(columns))):
        rows = [tuple(row[n] for n in order) for row in rows]
    connection.exec_driver_sql(compiled.string, rows)


def _processor(table: Table, name: str, dialect: Any) -> Callable[[Any], Any] | None:
    """The dialect's own bind processor of a column (UTC datetimes, JSON), as an ORM insert runs it."""
    processor: Callable[[Any], Any] | None = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
    return processor


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
