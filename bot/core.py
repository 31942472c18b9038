"""The command core: one place where a typed command becomes a domain call and a Reply."""

from __future__ import annotations

import logging

from puente import i18n
from puente.bot.commands import Arguments, Command, parse_arguments, split_command
from puente.bot.handlers import default_registry
from puente.bot.registry import Invocation, Registry
from puente.bot.replies import Reply
from puente.i18n import _
from puente.services.context import Runtime
from puente.services.errors import PuenteError
from puente.services.users import service as users

log = logging.getLogger(__name__)


class CommandCore:
    """Shared by every adapter: identify the person, parse, run one handler in one transaction, and answer
    in the person's language."""

    def __init__(self, runtime: Runtime, registry: Registry | None = None) -> None:
        self.runtime = runtime
        self.registry = registry or default_registry()

    def handle(self, command: Command) -> Reply:
        reply = self.handle_once(command)
        if reply is not None:
            return reply
        with i18n.language(self._language(None, command)):
            return Reply(text=_("Done already: this request arrived before."), private=True)

    def handle_once(self, command: Command) -> Reply | None:
        """As `handle`, but None for a request the platform delivered before (see `Command.delivery`):
        it was run and answered then."""
        # Until the person is known, the platform's hint (or the deployment's language) is all there is;
        # once they are, their own choice holds until the answer is written (see `_answer`).
        with i18n.language(self._language(None, command)):
            return self._answer(command)

    def _answer(self, command: Command) -> Reply | None:
        name, rest = split_command(command.text)
        subcommand = self.registry.find(name or "help")
        if subcommand is None:
            with self.runtime.reading() as ctx:
                person = users.known(ctx, command.platform, command.user_id)
                i18n.switch(
                    self._language(person.language if person else None, command), person.timezone if person else None
                )
            return self._unknown(name)
        try:
            with self.runtime.unit_of_work() as ctx:
                if command.delivery is not None and not users.first_arrival(ctx, command.platform, command.delivery):
                    log.info("%s request %s arrived before; not run again", command.platform, command.delivery)
                    return None
                ctx.actor = users.identify(ctx, command.platform, command.user_id)
                i18n.switch(self._language(ctx.actor.language, command), ctx.actor.timezone)
                if subcommand.parses_options:
                    args = parse_arguments(rest, subcommand.options, subcommand.translated_options)
                else:
                    args = Arguments(rest.split(), {}, rest)
                return subcommand.handler(Invocation(ctx, command, args, self.registry))
        except PuenteError as error:
            # Its message was written where it was raised, in the person's language.
            return Reply.error(str(error))
        except Exception:
            log.exception("command failed: %s", command.text)
            return Reply.error(
                _("Something went wrong on our side; nothing was changed. The error is in Puente's log.")
            )

    def _unknown(self, name: str) -> Reply:
        close = self.registry.suggest(name)
        if close:
            return Reply.error(
                _("Unknown subcommand {name!r}. Did you mean {close}? /incident help lists them all.").format(
                    name=name, close=i18n.either(close)
                )
            )
        return Reply.error(_("Unknown subcommand {name!r}. /incident help lists them all.").format(name=name))

    def _language(self, chosen: str | None, command: Command) -> str:
        """What whom we answer reads: their own choice, else their platform's, else this deployment's."""
        return i18n.choose(chosen, command.language_hint, self.runtime.settings.language)

    def complete(self, command: Command) -> list[str]:
        """Words that may replace the last word of a partly typed command (the console's Tab)."""
        # Imported here: completion reads every family and vocabulary, which a one-shot command never needs.
        from puente.bot.handlers import completion

        try:
            with self.runtime.unit_of_work() as ctx:
                ctx.actor = users.identify(ctx, command.platform, command.user_id)
                return completion.candidates(ctx, self.registry, command.text)
        except PuenteError:
            return []
