"""`puente db`: the database schema."""

from __future__ import annotations

import click

from puente.cli.operator import load_runtime, seal_peer_secrets, shown_url


@click.group("db")
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to PUENTE_DATABASE_URL (default: SQLite under ./var/)."""
    from puente.storage import migrate

    runtime = load_runtime()
    url = runtime.settings.effective_database_url
    migrate.upgrade(url)
    click.echo(f"database at {migrate.head_revision()}: {shown_url(url)}")
    seal_peer_secrets(runtime)
