"""`puente console` and `puente report`: /incident commands from the operator's terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from puente import i18n
from puente.bot.commands import Command
from puente.bot.console.repl import Console
from puente.bot.core import CommandCore
from puente.cli.operator import check_schema, default_user, load_runtime, operator
from puente.i18n import _
from puente.services.context import Runtime
from puente.services.users import service as users


def console_user(runtime: Runtime, user: str | None) -> str:
    name = user or default_user()
    with operator(runtime) as ctx:
        if users.bootstrap_admin(ctx, name) is not None:
            # The new admin has chosen no language yet: they read the deployment's.
            with i18n.language(runtime.settings.language):
                click.echo(
                    _("First run: {name} is now this Puente's admin (puente users add … for the team).").format(
                        name=name
                    )
                )
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
@click.argument("reference")
@click.option("--format", "kind", default="md", show_default=True, help="md, html or pdf")
@click.option("--for", "recipient", help="a peer: the report holds only what the handling policy lets it see")
@click.option("--as", "user", help="Puente user reading it (default: $PUENTE_USER or $USER)")
@click.option("--lang", "language", help="en, es, pt or fr (default: PUENTE_LANGUAGE)")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), help="file to write (- for stdout)")
def report(
    reference: str, kind: str, recipient: str | None, user: str | None, language: str | None, output: str | None
) -> None:
    """Write a ticket's readable report (TLP banner, summary, observables, timeline, requests, clocks)."""
    runtime = load_runtime()
    check_schema(runtime)
    # A file written at the command line is for whoever opens it: in the deployment's language unless asked.
    written_in = language or runtime.settings.language
    text = f"/incident report {reference} format={kind} lang={written_in}" + (f" for={recipient}" if recipient else "")
    reply = CommandCore(runtime).handle(Command(text=text, platform=users.CONSOLE, user_id=user or default_user()))
    if not reply.ok or reply.attachment is None:
        raise click.ClickException(reply.plain_text())
    if output == "-":
        sys.stdout.buffer.write(reply.attachment.content)
        return
    path = Path(output or reply.attachment.name)
    path.write_bytes(reply.attachment.content)
    with i18n.language(reply.language):
        click.echo(_("{reply} Written to {path}.").format(reply=reply.text, path=path))
