"""The operator at the command line: the runtime from settings, units of work, start-up checks.

Every `puente` command module uses these, so a bad setting, an unmigrated database or a refused
domain operation always ends in the same single clean line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from puente.services.context import Context, Runtime
from puente.services.errors import PuenteError
from puente.settings import SettingsError, load_settings
from puente.storage import migrate


def load_runtime() -> Runtime:
    try:
        settings = load_settings()
    except SettingsError as error:
        raise click.ClickException(f"bad setting: {error}") from None
    return Runtime.from_settings(settings)


@contextmanager
def operator(runtime: Runtime | None = None) -> Iterator[Context]:
    """A unit of work done by the operator; domain errors become one clean line."""
    try:
        with (runtime or load_runtime()).unit_of_work(actor_name="operator") as ctx:
            yield ctx
    except PuenteError as error:
        raise click.ClickException(str(error)) from None


def check_schema(runtime: Runtime) -> None:
    from alembic.runtime.migration import MigrationContext

    with runtime.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != migrate.current_head():
        raise click.ClickException(
            f"the database at {runtime.settings.effective_database_url} is not migrated"
            f" (at {current or 'nothing'}, code expects {migrate.current_head()}): run `puente db upgrade`."
        )
