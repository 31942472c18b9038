"""The `puente` command line: run, console, say, db; the other groups live beside this module."""

from __future__ import annotations

import sys
import threading

import click

from puente.bot import console as console_adapter
from puente.bot import slack as slack_adapter
from puente.bot import telegram as telegram_adapter
from puente.bot.commands import Command
from puente.bot.console.notifier import ConsoleNotifier
from puente.bot.console.repl import Console, default_user, render
from puente.bot.core import CommandCore
from puente.cli.oncall import oncall_group
from puente.cli.operator import check_schema, load_runtime, operator
from puente.cli.partners import partners_group
from puente.cli.peers import peers_group
from puente.cli.stix import export_command, import_command
from puente.cli.users import users_group
from puente.services.context import Runtime
from puente.services.escalation import service as escalation
from puente.services.escalation.policies import PolicyError
from puente.services.users import service as users
from puente.settings import SettingsError
from puente.storage import migrate

# The chat platforms Puente has adapters for, as escalation policy channels may name them.
CHAT_PLATFORMS = (console_adapter.PLATFORM, slack_adapter.PLATFORM, telegram_adapter.PLATFORM)


def _check_policies(runtime: Runtime) -> None:
    try:
        escalation.check_policies(runtime, CHAT_PLATFORMS)
    except PolicyError as error:
        raise click.ClickException(f"bad escalation policy file (PUENTE_ESCALATION_POLICIES):\n{error}") from None


@click.group()
def main() -> None:
    """Puente: incident coordination between national CSIRTs."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to PUENTE_DATABASE_URL (default: SQLite under ./var/)."""
    runtime = load_runtime()
    migrate.upgrade(runtime.settings.effective_database_url)
    click.echo(f"database at {migrate.current_head()}: {runtime.settings.effective_database_url}")


def _console_user(runtime: Runtime, user: str | None) -> str:
    name = user or default_user()
    with operator(runtime) as ctx:
        if users.bootstrap_admin(ctx, name) is not None:
            click.echo(f"First run: {name} is now this Puente's admin (puente users add … for the team).")
    return name


@main.command()
@click.option("--as", "user", help="Puente user to act as (default: $PUENTE_USER or $USER)")
def console(user: str | None) -> None:
    """An interactive /incident console."""
    runtime = load_runtime()
    check_schema(runtime)
    name = _console_user(runtime, user)
    Console(CommandCore(runtime), name, runtime.settings.var_dir / "console_history").loop()


@main.command()
@click.option("--as", "user", required=True, help="Puente user to act as")
@click.argument("command_text")
def say(user: str, command_text: str) -> None:
    """Run one /incident command, print the reply; exit 1 when it is refused."""
    runtime = load_runtime()
    check_schema(runtime)
    reply = CommandCore(runtime).handle(Command(text=command_text, platform="console", user_id=user))
    click.echo(render(reply))
    sys.exit(0 if reply.ok else 1)


@main.command()
def run() -> None:
    """Serve the HTTP API (health, TAXII, chat webhooks) and, on a terminal without chat tokens, the console."""
    import uvicorn

    from puente.server.app import create_app
    from puente.server.workers import default_workers

    runtime = load_runtime()
    _check_policies(runtime)
    check_schema(runtime)
    settings = runtime.settings
    if not settings.chat_configured:
        # Without a chat platform the terminal is where pages reach people.
        runtime.notifiers.append(ConsoleNotifier())
    if settings.slack_bot_token:
        from puente.bot.slack.notifier import SlackNotifier

        runtime.notifiers.append(SlackNotifier.from_settings(settings))
    try:
        app = create_app(runtime, default_workers())
    except SettingsError as error:
        raise click.ClickException(f"bad setting: {error}") from None
    if settings.telegram_bot_token:
        from puente.bot.telegram.notifier import TelegramNotifier

        runtime.notifiers.append(TelegramNotifier(runtime))
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning"))
    click.echo(
        f"Puente ({settings.csirt_name}, {settings.csirt_country}) on http://{settings.host}:{settings.port}/healthz"
    )
    if not settings.chat_configured and sys.stdin.isatty():
        name = _console_user(runtime, None)
        console = Console(CommandCore(runtime), name, settings.var_dir / "console_history")

        def console_then_stop() -> None:
            console.loop()
            server.should_exit = True

        threading.Thread(target=console_then_stop, name="console", daemon=True).start()
    try:
        server.run()
    finally:
        for notifier in runtime.notifiers:
            close = getattr(notifier, "close", None)
            if close is not None:
                close()


main.add_command(users_group)
main.add_command(partners_group)
main.add_command(oncall_group)
main.add_command(export_command)
main.add_command(import_command)
main.add_command(peers_group)

if __name__ == "__main__":
    main()
