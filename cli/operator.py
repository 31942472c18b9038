"""The operator at the command line: the runtime from settings, units of work, start-up checks.

Every `puente` command module uses these, so a bad setting, an unreachable or unmigrated database
or a refused domain operation always ends in the same single clean line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from puente import i18n
from puente.cli.settings import read_settings
from puente.services.context import Context, Runtime
from puente.services.errors import PuenteError
from puente.settings import MAKE_SECRET_KEY, Settings
from puente.storage import migrate


def load_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or read_settings()
    # A command is one short process: the next one reads the catalogues this one compiled.
    i18n.keep_compiled_in(settings.var_dir / "catalogues")
    return Runtime.from_settings(settings)


@contextmanager
def operator(runtime: Runtime | None = None) -> Iterator[Context]:
    """A unit of work done by the operator; domain errors become one clean line."""
    try:
        with (runtime or load_runtime()).unit_of_work(actor_name="operator") as ctx:
            yield ctx
    except PuenteError as error:
        raise click.ClickException(str(error)) from None


def shown_url(url: str) -> str:
    """A database URL fit to print: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


def unreachable(url: str, error: OperationalError) -> click.ClickException:
    reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    fix = (
        "check that PostgreSQL is running and PUENTE_DATABASE_URL names its host, port, user and database"
        if url.startswith("postgresql")
        else "check that PUENTE_VAR_DIR (or the path in PUENTE_DATABASE_URL) is a writable folder"
    )
    return click.ClickException(f"cannot open the database at {shown_url(url)}: {reason}. Fix: {fix}.")


def check_schema(runtime: Runtime) -> None:
    url = runtime.settings.effective_database_url
    try:
        current = migrate.current_revision(runtime.engine)
    except OperationalError as error:
        raise unreachable(url, error) from None
    head = migrate.head_revision()
    if current is not None and current not in migrate.known_revisions():
        raise click.ClickException(
            f"the database at {shown_url(url)} is at revision {current}, which this Puente does not know"
            " (a newer Puente migrated it?): run that version of Puente, or restore the database from a backup."
        )
    if current != head:
        raise click.ClickException(
            f"the database at {shown_url(url)} is not migrated"
            f" (at {current or 'nothing'}, this Puente expects {head}): run `puente db upgrade`."
        )


def default_user() -> str:
    return os.environ.get("PUENTE_USER") or os.environ.get("USER") or "admin"


def seal_peer_secrets(runtime: Runtime, starting: bool = False) -> None:
    """Peer secrets stored before they were encrypted are encrypted now; without a key, say how to get
    one (and, `starting` a server, that peers cannot be added with secrets until there is one)."""
    from puente.services.peers import secrets

    with operator(runtime) as ctx:
        sealed, plain = secrets.seal_plain(ctx)
    if sealed:
        click.echo(f"encrypted the stored password or key of {sealed} peer(s) with PUENTE_SECRET_KEY")
    if plain:
        click.echo(
            f"warning: {plain} peer(s) have their password or key stored in plain text; PUENTE_SECRET_KEY"
            f" encrypts them: {MAKE_SECRET_KEY}, then run `puente db upgrade`.",
            err=True,
        )
    elif starting and runtime.settings.sealer is None:
        click.echo(
            "PUENTE_SECRET_KEY is not set: peers cannot be added with a password or key until it is"
            f" ({MAKE_SECRET_KEY}).",
            err=True,
        )
