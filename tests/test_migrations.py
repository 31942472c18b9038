"""Migrations: what a CSIRT has stored survives them, and they build the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from puente.storage.engine import make_engine
from puente.storage.schema import metadata


def test_the_migrated_schema_is_the_one_the_models_describe(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert differences == []
