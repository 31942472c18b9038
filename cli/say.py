"""`puente say`: one /incident command from a shell or a script, its reply printed.

When `puente run` is up in this folder with these settings, the command goes to it over its local
socket (bot/console/local_socket.py) and this process needs only click and the settings; otherwise
it is run here, which imports the database, the domains and every handler (see the README's
Benchmarks for both figures).
"""

from __future__ import annotations

import sys

import click

from puente import __version__
from puente.bot.console import local_socket
from puente.cli.settings import read_settings
from puente.settings import Settings


@click.command()
@click.option("--as", "user", required=True, help="Puente user to act as")
@click.argument("command_text")
def say(user: str, command_text: str) -> None:
    """Run one /incident command, print the reply; exit 1 when it is refused."""
    settings = read_settings()
    try:
        answer = local_socket.ask(settings.var_dir, settings.fingerprint(), __version__, user, command_text)
    except local_socket.Lost as lost:
        from puente import i18n
        from puente.i18n import _

        with i18n.language(settings.language):  # who --as is, only the database would tell
            raise click.ClickException(
                _(
                    "The running Puente took the command and stopped before answering ({why}): look at the"
                    " ticket (/incident show, /incident timeline) before saying it again."
                ).format(why=lost)
            ) from None
    if answer is None:
        answer = _said_here(settings, user, command_text)
    click.echo(answer.reply)
    sys.exit(0 if answer.ok else 1)


def _said_here(settings: Settings, user: str, command_text: str) -> local_socket.Answer:
    """The command run in this process, as when no Puente runs."""
    from puente.cli.main import imported_for_good

    with imported_for_good():
        from puente.bot.console.repl import Console, render, reports_folder
        from puente.bot.core import CommandCore
        from puente.cli.operator import check_schema, load_runtime

    runtime = load_runtime(settings)
    check_schema(runtime)
    reply = Console(CommandCore(runtime), user).run_one(command_text)
    return local_socket.Answer(reply.ok, render(reply, reports_folder(runtime)))
