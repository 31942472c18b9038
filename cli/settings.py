"""The settings as every `puente` command reads them first: unknown variables warned about, a bad value
one clean line. Light on purpose: `puente say` reads them before it knows whether it needs the rest."""

from __future__ import annotations

import click

from puente.settings import Settings, SettingsError, load_settings, unknown_variables


def read_settings() -> Settings:
    for unknown in unknown_variables():
        click.echo(unknown.warning(), err=True)
    try:
        return load_settings()
    except SettingsError as error:
        raise click.ClickException(f"bad setting: {error}") from None
