"""One module per command family; `default_registry` gathers them in help order.

Each family is listed with the English names (aliases included) it declares, so that running a subcommand,
by any of its names or words, imports only its module: a one-shot `puente say` stays fast. The registry
refuses a module whose `SUBCOMMANDS` disagree with its line here.
"""

from __future__ import annotations

from puente.bot.handlers import words
from puente.bot.registry import Registry

FAMILIES: dict[str, tuple[str, ...]] = {
    "puente.bot.handlers.tickets": (
        "new",
        "show",
        "list",
        "update",
        "assign",
        "resolve",
        "close",
        "reopen",
        "note",
        "timeline",
    ),
    "puente.bot.handlers.clocks": ("filed",),
    "puente.bot.handlers.observables": ("ioc", "iocs", "observable"),
    "puente.bot.handlers.exchange": ("export", "stix"),
    "puente.bot.handlers.reports": ("report",),
    "puente.bot.handlers.sharing": ("share", "notify", "publish", "peers"),
    "puente.bot.handlers.assistance": ("assist", "accept", "decline", "info", "sitrep", "result", "forward", "cancel"),
    "puente.bot.handlers.oncall": ("oncall", "escalate", "ack"),
    "puente.bot.handlers.overview": ("requests", "clocks"),
    "puente.bot.handlers.web": ("web",),
    "puente.bot.handlers.language": ("lang", "language"),
    "puente.bot.handlers.help": ("help",),
}


def default_registry() -> Registry:
    return Registry(families=FAMILIES, words=words.SUBCOMMANDS, option_words=words.OPTIONS)
