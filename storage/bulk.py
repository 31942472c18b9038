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
    compiled = table.insert().compile(dialect=dialect, column_keys=list(rows[0]))
    if order_by is not None:
        rows = sorted(rows, key=itemgetter(order_by))
    names = list(compiled.positiontup or ()) if compiled.positional else list(rows[0])
    # Column by column: each bind processor is looked up once, and zip() builds the rows in C.
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        process = table.c[name].type.bind_processor(dialect)
        if process is not None:
            values = [None if value is None else process(value) for value in values]
        columns.append(values)
    params: list[Any] = list(zip(*columns, strict=True))
    if not compiled.positional:
        params = [dict(zip(names, values, strict=True)) for values in params]
    connection.exec_driver_sql(compiled.string, params)
