"""`lang`: the language Puente speaks to the person who types it."""

from __future__ import annotations

from puente import i18n
from puente.bot.registry import Invocation, Subcommand
from puente.bot.replies import Reply
from puente.i18n import _, lazy_gettext
from puente.services.users import service as users

CHOICES = "|".join(i18n.NAMES)


def lang_(call: Invocation) -> Reply:
    actor = call.ctx.actor
    assert actor is not None  # the core identified who typed
    if not call.args.words:
        spoken = i18n.NAMES[i18n.current()]
        if actor.language is None:
            text = _("You read Puente in {language}, your chat platform's language or Puente's.")
        else:
            text = _("You read Puente in {language}.")
        return Reply(
            text=text.format(language=spoken)
            + " "
            + _("To change it: /incident lang {choices}").format(choices=CHOICES),
            private=True,
        )
    chosen = users.change(call.ctx, actor.name, language=call.args.words[0]).language
    # Said in the language just chosen: the first thing they read in it.
    with i18n.language(chosen):
        return Reply(
            text=_("Puente speaks {language} to you now.").format(language=i18n.NAMES[i18n.current()]), private=True
        )


SUBCOMMANDS = [
    Subcommand(
        "lang",
        f"lang [{CHOICES}]",
        lazy_gettext("Show or choose the language Puente speaks to you."),
        lang_,
        aliases=("language",),
        parses_options=False,
    )
]
