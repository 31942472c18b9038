"""One module per command family; `default_registry` gathers them in help order."""

from __future__ import annotations

from puente.bot.handlers import (
    assistance,
    clocks,
    exchange,
    help,
    language,
    observables,
    oncall,
    overview,
    reports,
    sharing,
    tickets,
    web,
    words,
)
from puente.bot.registry import Registry


def default_registry() -> Registry:
    return Registry(
        [
            *tickets.SUBCOMMANDS,
            *clocks.SUBCOMMANDS,
            *observables.SUBCOMMANDS,
            *exchange.SUBCOMMANDS,
            *reports.SUBCOMMANDS,
            *sharing.SUBCOMMANDS,
            *assistance.SUBCOMMANDS,
            *oncall.SUBCOMMANDS,
            *overview.SUBCOMMANDS,
            *web.SUBCOMMANDS,
            *language.SUBCOMMANDS,
            *help.SUBCOMMANDS,
        ],
        words=words.SUBCOMMANDS,
        option_words=words.OPTIONS,
    )
