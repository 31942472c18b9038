"""`help` and `help SUBCOMMAND`."""

from __future__ import annotations

from puente import i18n
from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.i18n import _, lazy_gettext
from puente.services.errors import InvalidInput


def help_(call: Invocation) -> Reply:
    if call.args.words:
        name = call.args.words[0].lower()
        subcommand = call.registry.find(name)
        if subcommand is None:
            close = call.registry.suggest(name)
            if close:
                raise InvalidInput(
                    _("No subcommand {name!r}. Did you mean {close}?").format(name=name, close=i18n.either(close))
                )
            raise InvalidInput(_("No subcommand {name!r}.").format(name=name))
        lines = [str(subcommand.details)] if subcommand.details else []
        if also := call.registry.words_of(subcommand):
            lines.append(_("Also: {aliases}").format(aliases=", ".join(also)))
        return Reply(text=f"/incident {subcommand.usage}\n{subcommand.summary}", lines=lines, private=True)
    lines = [f"/incident {_said(call, s)} — {s.summary}" for s in call.registry]
    return Reply(text=_("Puente commands (help SUBCOMMAND for details):"), lines=lines, private=True)


def _said(call: Invocation, subcommand: Subcommand) -> str:
    """A subcommand's usage as the reader may type it: in their own word, with the English one beside it."""
    local = call.registry.local_name(subcommand)
    if local == subcommand.name:
        return subcommand.usage
    return f"{local} ({subcommand.name}){subcommand.usage.removeprefix(subcommand.name)}"


SUBCOMMANDS = [Subcommand("help", "help [SUBCOMMAND]", lazy_gettext("Show the commands."), help_, parses_options=False)]
