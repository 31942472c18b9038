"""What an adapter hands the core, and the forgiving option syntax analysts type.

`/incident new Phishing wave sev=high countries=BR,AR tlp=amber type=fraud/phishing`
parses into words (`Phishing wave`) and options; values may be quoted (`title="a b"`).
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from puente.i18n import _
from puente.services.errors import InvalidInput
from puente.services.vocabularies import aliases

# A key is a word in any language (`países=`, `gravité=`); values may hold anything.
_OPTION = re.compile(r"^([^\W\d_][\w-]*)=(.*)$", re.DOTALL)
_PREFIX = re.compile(r"^/?incident(?:@[A-Za-z0-9_]+)?(?:\s+|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Command:
    """One /incident command as typed, with who typed it and where.

    `delivery` is the platform's key for the request that carried it (a Telegram update id, a Slack
    event id or request digest): a platform may deliver a request again, and it runs once.
    `language_hint` is the language the platform says the person uses (a Telegram language_code, a
    Slack locale): they are answered in it unless they chose a language of their own.
    """

    text: str
    platform: str
    user_id: str
    channel_id: str | None = None
    delivery: str | None = None
    language_hint: str | None = None


@dataclass(slots=True)
class Arguments:
    words: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    raw: str = ""

    @property
    def rest(self) -> str:
        return " ".join(self.words)

    def word(self, index: int, what: str, usage: str) -> str:
        if len(self.words) <= index:
            raise InvalidInput(_("Missing {what}. Usage: {usage}").format(what=what, usage=usage))
        return self.words[index]


def split_command(text: str) -> tuple[str, str]:
    """`/incident show INC-1` -> ("show", "INC-1"); a bare `/incident` -> ("", "")."""
    body = _PREFIX.sub("", text.strip(), count=1).strip()
    name, _, rest = body.partition(" ")
    return name.lower(), rest.strip()


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    # Apostrophes are common in titles ("Ministry's portal"); only double quotes group words.
    lexer.quotes = '"'
    try:
        return list(lexer)
    except ValueError:
        raise InvalidInput(_('Unbalanced double quote: close it, e.g. title="Ransomware at the port".')) from None


def parse_arguments(text: str, options: Mapping[str, str], translated: Mapping[str, str] | None = None) -> Arguments:
    """Split into words and `key=value` options; `options` maps every accepted English spelling to its name,
    `translated` the keys of the other languages (`gravedad`, `pays`)."""
    accepted = {**(translated or {}), **options}
    arguments = Arguments(raw=text)
    for token in _tokens(text):
        match = _OPTION.match(token)
        if match is None:
            arguments.words.append(token)
            continue
        key = aliases.fold(match.group(1))
        if key not in accepted:
            known = sorted(set(options))
            close = difflib.get_close_matches(key, sorted(accepted), n=1)
            said = [_("Unknown option {key!r}.").format(key=key)]
            if close:
                said.append(_("Did you mean {option}=?").format(option=close[0]))
            if known:
                said.append(_("Options here: {options}.").format(options=", ".join(known)))
            else:
                said.append(_("This command takes no options."))
            raise InvalidInput(" ".join(said))
        name = accepted[key]
        if name in arguments.options:
            raise InvalidInput(
                _("Option {name!r} given twice; give it once (lists take commas: countries=BR,AR).").format(name=name)
            )
        arguments.options[name] = match.group(2)
    return arguments


def format_option(name: str, value: str) -> str:
    """The inverse of parsing one option: quote the value when it needs it."""
    if value and not re.search(r'[\s"\\]', value):
        return f"{name}={value}"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{name}="{escaped}"'
