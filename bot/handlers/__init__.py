"""One module per command family; `default_registry` gathers them in help order."""

from __future__ import annotations

from puente.bot.handlers import assistance
from puente.bot.handlers import exchange
from puente.bot.handlers import help
from puente.bot.handlers import observables
from puente.bot.handlers import oncall
from puente.bot.handlers import sharing
from puente.bot.handlers import tickets
from puente.bot.registry import Registry


def default_registry() -> Registry:
    return Registry(
        [
            *tickets.SUBCOMMANDS, *observables.SUBCOMMANDS, *exchange.SUBCOMMANDS, *sharing.SUBCOMMANDS,
            *assistance.SUBCOMMANDS, *oncall.SUBCOMMANDS, *help.SUBCOMMANDS,
        ]
    )  # fmt: skip
