"""`puente run`: the HTTP API (health, TAXII, chat webhooks), the workers and, on a terminal, the console."""

from __future__ import annotations

import errno
import signal
import socket
import sys
import threading

import click

from puente import __version__
from puente.bot import slack as slack_adapter
from puente.bot import telegram as telegram_adapter
from puente.bot.console import local_socket
from puente.bot.console.notifier import ConsoleNotifier
from puente.bot.console.repl import Console
from puente.bot.core import CommandCore
from puente.cli.operator import check_schema, load_runtime, seal_peer_secrets
from puente.cli.terminal import console_user
from puente.services.context import Runtime
from puente.services.escalation import regulatory
from puente.services.escalation import service as escalation
from puente.services.escalation.policies import PolicyError
from puente.services.users.service import CONSOLE
from puente.settings import Settings, SettingsError, unset

# The chat platforms Puente has adapters for, as escalation policy channels may name them.
CHAT_PLATFORMS = (CONSOLE, slack_adapter.PLATFORM, telegram_adapter.PLATFORM)


def _check_policies(runtime: Runtime) -> None:
    try:
        escalation.check_policies(runtime, CHAT_PLATFORMS)
    except PolicyError as error:
        raise click.ClickException(f"bad escalation policy file (PUENTE_ESCALATION_POLICIES):\n{error}") from None
    try:
        regulatory.load_clocks(runtime.settings.regulatory_clocks)
    except regulatory.ClockError as error:
        raise click.ClickException(f"bad regulatory clocks file (PUENTE_REGULATORY_CLOCKS):\n{error}") from None


def _listening_socket(settings: Settings) -> socket.socket:
    """Bind the HTTP port before saying we serve on it, so a busy port is one clear line."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {settings.port} on {settings.host} is already in use (another Puente?):"
                " stop it or choose another port with PUENTE_PORT."
            ) from None
        raise click.ClickException(
            f"cannot listen on {settings.host}:{settings.port}: {error.strerror}. Fix PUENTE_HOST / PUENTE_PORT."
        ) from None
    sock.listen(128)
    return sock


@click.command()
def run() -> None:
    """Serve the HTTP API (health, TAXII, chat webhooks) and, on a terminal without chat tokens, the console."""
    import uvicorn

    from puente.server.app import create_app
    from puente.server.workers import default_workers

    runtime = load_runtime()
    _check_policies(runtime)
    check_schema(runtime)
    seal_peer_secrets(runtime, starting=True)
    settings = runtime.settings
    missing = unset()
    if missing:
        click.secho(
            f"WARNING: {' and '.join(missing)} not set: this Puente introduces itself to peers as"
            f" {settings.csirt_name} of {settings.csirt_country}. Set them in .env (see .env.example).",
            err=True,
            bold=True,
        )
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
    sock = _listening_socket(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    core = CommandCore(runtime)
    # Listening before the banner, as the port is: a `puente say` from then on is answered here.
    say_socket = local_socket.serve(settings.var_dir, core, settings.fingerprint(), __version__)
    click.echo(
        f"Puente ({settings.csirt_name}, {settings.csirt_country}) on http://{settings.host}:{settings.port}/healthz"
    )
    console = None
    if not settings.chat_configured and sys.stdin.isatty():
        console = Console(core, console_user(runtime, None), settings.var_dir / "console_history", serving=True)
    # SIGTERM (`kill`, a service manager's stop) ends the process through the `finally` below, which closes
    # the local socket and the notifiers. Untouched, it would kill the process outright: uvicorn drains on
    # it and then sends it again to the handler it found.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(0))
    try:
        if console is None:
            server.run(sockets=[sock])
        else:
            # The console owns the terminal (and Ctrl-C) in the main thread; the server runs beside it.
            serving = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="http")
            serving.start()
            try:
                console.loop()
            finally:
                server.should_exit = True
                serving.join()
    finally:
        if say_socket is not None:
            local_socket.stop(say_socket)
        for notifier in runtime.notifiers:
            close = getattr(notifier, "close", None)
            if close is not None:
                close()
