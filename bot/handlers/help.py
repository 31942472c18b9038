"""`help` and `help SUBCOMMAND`."""

from __future__ import annotations

from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.services.errors import InvalidInput


def help_(call: Invocation) -> Reply:
    if call.args.words:
        name = call.args.words[0].lower()
        subcommand = call.registry.find(name)
        if subcommand is None:
            close = call.registry.suggest(name)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise InvalidInput(f"No subcommand {name!r}.{hint}")
        lines = [subcommand.details] if subcommand.details else []
        if subcommand.aliases:
            lines.append("Also: " + ", ".join(subcommand.aliases))
        return Reply(text=f"/incident {subcommand.usage}\n{subcommand.summary}", lines=lines, private=True)
    lines = [f"/incident {s.usage} — {s.summary}" for s in call.registry]
    return Reply(text="Puente commands (help SUBCOMMAND for details):", lines=lines, private=True)


SUBCOMMANDS = [Subcommand("help", "help [SUBCOMMAND]", "Show the commands.", help_, parses_options=False)]
