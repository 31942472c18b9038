"""`puente console` and `puente say`: /incident commands from the operator's terminal."""

from __future__ import annotations

import sys

import click

from puente.bot.commands import Command
from puente.bot.console.repl import Console, render
from puente.bot.core import CommandCore
from puente.cli.operator import check_schema, default_user, load_runtime, operator
from puente.services.context import Runtime
from puente.services.users import service as users


def console_user(runtime: Runtime, user: str | None) -> str:
    name = user or default_user()
    with operator(runtime) as ctx:
        if users.bootstrap_admin(ctx, name) is not None:
            click.echo(f"First run: {name} is now this Puente's admin (puente users add … for the team).")
    return name


@click.command()
@click.option("--as", "user", help="Puente user to act as (default: $PUENTE_USER or $USER)")
def console(user: str | None) -> None:
    """An interactive /incident console."""
    runtime = load_runtime()
    check_schema(runtime)
    name = console_user(runtime, user)
    Console(CommandCore(runtime), name, runtime.settings.var_dir / "console_history").loop()


@click.command()
@click.option("--as", "user", required=True, help="Puente user to act as")
@click.argument("command_text")
def say(user: str, command_text: str) -> None:
    """Run one /incident command, print the reply; exit 1 when it is refused."""
    runtime = load_runtime()
    check_schema(runtime)
    reply = CommandCore(runtime).handle(Command(text=command_text, platform="console", user_id=user))
    click.echo(render(reply))
    sys.exit(0 if reply.ok else 1)
