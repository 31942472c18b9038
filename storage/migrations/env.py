"""Alembic environment: migrations run against the URL `storage.migrate` puts in the config."""

from __future__ import annotations

from alembic import context

from puente.storage.engine import make_engine
from puente.storage.schema import metadata

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "storage.migrate sets sqlalchemy.url"
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table (copy, drop, rename), which SQLite refuses while other
            # tables' foreign keys point at its rows. The pragma changes only outside a transaction, so
            # it is set before ours begins, and the keys are checked before it commits.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                raise RuntimeError(f"the migration left rows pointing at nothing (table, row, parent, key): {broken}")
    engine.dispose()


run_migrations()
