"""The command core: one place where a typed command becomes a domain call and a Reply."""

from __future__ import annotations

import logging

from puente.bot.commands import Arguments, Command, parse_arguments, split_command
from puente.bot.handlers import completion, default_registry
from puente.bot.registry import Invocation, Registry
from puente.bot.replies import Reply
from puente.services.context import Runtime
from puente.services.errors import PuenteError
from puente.services.users import service as users

log = logging.getLogger(__name__)


class CommandCore:
    """Shared by every adapter: identify the person, parse, run one handler in one transaction."""

    def __init__(self, runtime: Runtime, registry: Registry | None = None) -> None:
        self.runtime = runtime
        self.registry = registry or default_registry()

    def handle(self, command: Command) -> Reply:
        reply = self.handle_once(command)
        return reply if reply is not None else Reply(text="Done already: this request arrived before.", private=True)

    def handle_once(self, command: Command) -> Reply | None:
        """As `handle`, but None for a request the platform delivered before (see `Command.delivery`):
        it was run and answered then."""
        name, rest = split_command(command.text)
        subcommand = self.registry.find(name or "help")
        if subcommand is None:
            close = self.registry.suggest(name)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            return Reply.error(f"Unknown subcommand {name!r}.{hint} /incident help lists them all.")
        try:
            with self.runtime.unit_of_work() as ctx:
                if command.delivery is not None and not users.first_arrival(ctx, command.platform, command.delivery):
                    log.info("%s request %s arrived before; not run again", command.platform, command.delivery)
                    return None
                ctx.actor = users.identify(ctx, command.platform, command.user_id)
                if subcommand.parses_options:
                    args = parse_arguments(rest, subcommand.options)
                else:
                    args = Arguments(rest.split(), {}, rest)
                return subcommand.handler(Invocation(ctx, command, args, self.registry))
        except PuenteError as error:
            return Reply.error(str(error))
        except Exception:
            log.exception("command failed: %s", command.text)
            return Reply.error("Something went wrong on our side; nothing was changed. The error is in Puente's log.")

    def complete(self, command: Command) -> list[str]:
        """Words that may replace the last word of a partly typed command (the console's Tab)."""
        try:
            with self.runtime.unit_of_work() as ctx:
                ctx.actor = users.identify(ctx, command.platform, command.user_id)
                return completion.candidates(ctx, self.registry, command.text)
        except PuenteError:
            return []
