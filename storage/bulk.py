"""Inserting many rows at once, straight to the database driver.

SQLAlchemy's executemany processes each row's parameters through several layers; for the tens of
thousands of rows a large ticket, share or peer envelope brings, that costs more than the insert
itself. Here each column's bind processor (UTC datetimes, JSON, …) runs once per value and the
driver gets the rows as they are.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]], order_by: str | None = None) -> None:
    """Insert `rows` (dicts with the same keys, Python values) into `table` in the session's transaction.

    `order_by` names a column to insert in the order of: in index order each row appends to the
    index instead of landing on a random page.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    processors = {key: table.c[key].type.bind_processor(dialect) for key in keys}
    converting = {key: process for key, process in processors.items() if process is not None}
    if order_by is not None:
        rows = sorted(rows, key=itemgetter(order_by))
    if converting:
        rows = [
            row | {key: process(row[key]) for key, process in converting.items() if row[key] is not None}
            for row in rows
        ]
    params: list[Any] = rows
    if compiled.positional:
        names = compiled.positiontup or []
        params = [tuple(row[name] for name in names) for row in rows]
    connection.exec_driver_sql(compiled.string, params)
