"""The catalogues hold everything Puente says, in every language it speaks.

Babel extracts the messages from the code as `make catalogues` does; each catalogue must translate
every one of them, with the same placeholders (a translation that drops `{reference}` would say less,
one that adds a placeholder would fail when formatted). A scan of the modules that answer people
finds text handed to a reply, a notice, a button or a refusal that never went through a catalogue.
"""

from __future__ import annotations

import ast
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from puente import i18n
from puente.i18n import catalogues
from puente.settings import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _catalogue(name: str) -> Catalog:
    with (i18n.LOCALE_DIR / name).open("rb") as po:
        return read_po(po)


def _key(message: Message) -> catalogues.Key:
    return (message.id if isinstance(message.id, str) else message.id[0], message.context)


EXTRACTED = catalogues.extracted()


def test_the_code_marks_messages_for_the_catalogues() -> None:
    assert len(EXTRACTED["puente"]) > 20
    assert ("Unknown subcommand {name!r}. /incident help lists them all.", None) in EXTRACTED["puente"]


def test_each_message_lives_in_one_catalogue_the_first_that_says_it() -> None:
    owners = [set(messages) for messages in EXTRACTED.values()]
    assert all(not (a & b) for index, a in enumerate(owners) for b in owners[index + 1 :])
    said_by_the_core = set(catalogues.said("puente"))
    assert all(key not in said_by_the_core for domain in ("adapters", "web") for key in EXTRACTED[domain])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_says_each_message_as_its_own_catalogue_translates_it(language: str) -> None:
    """A language's catalogues are compiled into one, where a second translation of a message would
    silently replace the first."""
    compiled = i18n.translations(language)
    for domain in catalogues.DOMAINS:
        for message in _catalogue(f"{language}/LC_MESSAGES/{domain}.po"):
            if message.id and isinstance(message.id, str) and message.string:
                context, msgid = message.context, message.id
                said = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
                assert said == message.string, (domain, message.id)


def test_a_compiled_catalogue_is_read_by_the_next_process_until_its_po_files_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-shot `puente say` reads the catalogue an earlier command compiled into PUENTE_VAR_DIR instead
    of parsing the .po files again; once they change, it is compiled again and the old one removed."""
    shutil.copytree(i18n.LOCALE_DIR / "es", tmp_path / "locale" / "es")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    monkeypatch.setattr(i18n, "_kept_in", None)
    i18n.keep_compiled_in(tmp_path / "var")
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("es").gettext("Show a ticket.") != "Show a ticket."
        [kept] = (tmp_path / "var").iterdir()
        # Put another catalogue in its place: what the next process says shows it read the kept one.
        planted = Catalog(locale="es", domain=i18n.DOMAIN)
        planted.add("Show a ticket.", "kept")
        with kept.open("wb") as mo:
            write_mo(mo, planted)
        i18n.translations.cache_clear()
        assert i18n.translations("es").gettext("Show a ticket.") == "kept"

        with (tmp_path / "locale" / "es" / "LC_MESSAGES" / "puente.po").open("a") as po:
            po.write('\nmsgid "A message added since"\nmsgstr "Un mensaje agregado después"\n')
        i18n.translations.cache_clear()
        assert i18n.translations("es").gettext("A message added since") == "Un mensaje agregado después"
        assert i18n.translations("es").gettext("Show a ticket.") not in ("kept", "Show a ticket.")
        assert [p.name for p in (tmp_path / "var").iterdir()] != [kept.name]
        assert len(list((tmp_path / "var").iterdir())) == 1
    finally:
        i18n.translations.cache_clear()


@pytest.mark.parametrize("domain", catalogues.DOMAINS)
def test_the_template_holds_what_the_code_says_now(domain: str) -> None:
    """`make catalogues` was run after the last change of a message."""
    template = {_key(m) for m in _catalogue(f"{domain}.pot") if m.id}
    assert sorted(set(EXTRACTED[domain]) - template) == [], "new messages: run `make catalogues`, translate them"
    assert sorted(template - set(EXTRACTED[domain])) == [], "messages the code no longer says: run `make catalogues`"


@pytest.mark.parametrize("domain", catalogues.DOMAINS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_translates_every_message_with_its_placeholders(domain: str, language: str) -> None:
    catalogue = _catalogue(f"{language}/LC_MESSAGES/{domain}.po")
    expected = EXTRACTED[domain]
    translated = {_key(m): m for m in catalogue if m.id}
    missing = sorted(set(expected) - set(translated))
    assert missing == [], f"{language} lacks {len(missing)} message(s): run `make catalogues` and translate them"
    unused = sorted(set(translated) - set(expected))
    assert unused == [], f"{language} translates messages the code no longer says: run `make catalogues`"
    problems = []
    for msgid, forms in expected.items():
        message = translated[msgid]
        strings = (message.string,) if isinstance(message.string, str) else tuple(message.string or ())
        if message.fuzzy or not all(s.strip() for s in strings):
            problems.append(f"untranslated: {msgid!r}")
            continue
        placeholders = set(PLACEHOLDER.findall(forms[-1])) | set(PLACEHOLDER.findall(forms[0]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != placeholders:
                problems.append(f"placeholders differ: {msgid!r} -> {string!r}")
        if len(forms) != (2 if isinstance(message.id, tuple) else 1):
            problems.append(f"plural forms differ from the code: {msgid!r}")
    assert problems == []


# What people read: the text of a reply, a notice, a button, and the refusals of the errors family.
# Per constructor, which positional arguments and keywords are text (a Button's command is not).
TEXT_ARGUMENTS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "Reply": ((0,), ("text", "fields", "lines")),
    "error": ((0,), ("message",)),
    "Notice": ((0, 1), ("text", "fields")),
    "Button": ((0,), ("label", "confirm")),
    "Action": ((0,), ("label",)),
    **{
        refusal: ((0,), ())
        for refusal in ("PuenteError", "InvalidInput", "NotFound", "Forbidden", "Unauthenticated", "Conflict")
    },
    **{refusal: ((0,), ()) for refusal in ("ClockError", "PolicyError")},
    # What is missing, in `Arguments.word`'s "Missing {what}."; what is refused, in `require_role`'s.
    "word": ((1,), ()),
    "Subcommand": ((2,), ("summary", "details")),
    "require_role": ((2,), ("doing",)),
    # Said now, read later in the reader's language: a phrase's message, and a handling refusal's.
    "Phrase": ((0,), ()),
    "Refusal": ((1,), ("why",)),
    # A web page's values (a refusal's message), by name; a report's section, its title and rows.
    "render": ((2,), ()),
    "Section": ((0, 1), ("title", "rows")),
    # What the chat adapters show of their own: a Slack modal's texts, inputs, options and sections; a
    # Telegram key, message and callback answer (the alert a press shows).
    "_text": ((0,), ()),
    "_input": ((1,), ("label", "hint")),
    "_option": ((0,), ("label",)),
    "_section": ((0,), ()),
    "InlineKeyboardButton": ((0,), ("text",)),
    "TelegramMessage": ((0,), ("html",)),
    "answer": ((0,), ("text",)),
    # What the console and `puente console`/`say`/`report` print and ask on the terminal.
    "print": ((0,), ()),
    "echo": ((0,), ("message",)),
    "secho": ((0,), ("message",)),
    "prompt": ((0,), ("message",)),
    "ClickException": ((0,), ()),
}
# What a ticket's timeline says of an event: its analysts read it (`ctx.record(…, ticket_id=…)`, `touch`).
# Events of no ticket are the operator's, read on the command line, in English.
TICKET_EVENTS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {"record": ((1,), ("summary",))}
TEXT_ARGUMENTS["touch"] = ((3,), ("summary",))
TEXT_ARGUMENTS["record_on_timeline"] = ((3,), ("summary",))
# A Block Kit object's text (`{"type": "plain_text", "text": "Cancel"}`) is what Slack shows.
TEXT_KEYS = {"text"}
# Logs are for the operator, in English (they are read beside the libraries' own).
LOGGERS = {"log", "logger", "logging"}
# Lists whose items are a reply's lines or fields as they are built up.
TEXT_LISTS = {"lines", "fields", "rows"}
# N_ (N_plural) marks a message that a Phrase translates when it is read.
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "lazy_gettext", "lazy_pgettext", "N_", "N_plural"}
# Values of a phrase that name codes, not language: a vocabulary and its codes (`Words("severity", …)`), free
# text with the tag of its language (`Written(text, "en")`), a moment, a ticket field's change by its key.
CODED = {"Words", "Written", "Moment", "change"}
# Words in a literal: one that holds none ("\n", " — ", ": ") is punctuation, not language.
WORDS = re.compile(r"[^\W\d_]{2,}")
# Command lines shown as they are typed, and acronyms (TLP, PAP, and labels such as PAP:GREEN), are the
# same in every language.
COMMAND = re.compile(r"^\W*?(/incident|puente)\b|^[A-Z]{2,5}:?$")

# The command line's modules that speak to the operator alone, who configures Puente: their output stays
# English (scripts read some of it: `partners add`'s `key:` lines, `web-link`'s `link:` and `expires:`), as
# do the settings, logs and TAXII errors they print. What reaches a chat user, or is printed as a user
# (`puente console`, `report`: cli/terminal.py; `say`: cli/say.py), is scanned like the adapters.
OPERATOR_ONLY = {
    "cli/__init__.py",
    "cli/__main__.py",
    "cli/main.py",  # `puente --help`
    "cli/audit.py",
    "cli/database.py",
    "cli/doctor.py",
    "cli/oncall.py",
    "cli/operator.py",
    "cli/partners.py",
    "cli/peers.py",
    "cli/serve.py",
    "cli/settings.py",
    "cli/stix.py",
    "cli/users.py",
    "cli/web.py",
}

# The modules that answer people (commands, refusals, pages, notices, reports, the web view), and the
# adapters that show them.
USER_FACING = sorted(
    str(path.relative_to(ROOT))
    for pattern in (
        "bot/core.py",
        "bot/replies.py",
        "bot/commands.py",
        "bot/handlers/*.py",
        "services/**/*.py",
        "server/web/*.py",
        "bot/slack/*.py",
        "bot/telegram/*.py",
        "bot/console/*.py",
        "cli/*.py",
    )
    for path in ROOT.glob(pattern)
    if str(path.relative_to(ROOT)) not in OPERATOR_ONLY
)


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _literals(node: ast.AST) -> list[ast.Constant]:
    """The string literals inside `node` that no gettext call wraps."""
    if isinstance(node, ast.Call) and _called(node) in GETTEXT | CODED:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    # A key looked up (`obj["id"]`, `obj.get("created_by_ref")`) is a code, not language.
    if isinstance(node, ast.Subscript):
        return _literals(node.value)
    if isinstance(node, ast.Call) and _called(node) == "get":
        return _literals(node.func)
    # A dict's keys name its values (a page's `{"message": …}`); the values are what is said.
    if isinstance(node, ast.Dict):
        return [found for value in node.values for found in _literals(value)]
    found: list[ast.Constant] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(node, ast.JoinedStr) and isinstance(child, ast.FormattedValue):
            found += _literals(child.value)  # the format spec is not text
            continue
        found += _literals(child)
    return found


def _texts(call: ast.Call) -> list[ast.expr]:
    name = _called(call)
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    if isinstance(receiver, ast.Name) and receiver.id in LOGGERS:
        return []
    if name in TICKET_EVENTS and any(keyword.arg == "ticket_id" for keyword in call.keywords):
        positions, keywords = TICKET_EVENTS[name]
        given = [arg for index, arg in enumerate(call.args) if index in positions]
        return given + [keyword.value for keyword in call.keywords if keyword.arg in keywords]
    if name in TEXT_ARGUMENTS:
        positions, keywords = TEXT_ARGUMENTS[name]
        given = [arg for index, arg in enumerate(call.args) if index in positions]
        return given + [keyword.value for keyword in call.keywords if keyword.arg in keywords]
    if name in ("append", "extend", "insert") and isinstance(receiver, ast.Name) and receiver.id in TEXT_LISTS:
        return list(call.args[-1:])
    return []


def _keyed_texts(node: ast.Dict) -> list[ast.expr]:
    """A Block Kit object's (a dict with a "type") values under a text key, but not a nested object
    (`"text": {"type": "mrkdwn", …}`)."""
    keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
    if "type" not in keys:
        return []
    return [
        value
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Constant) and key.value in TEXT_KEYS and not isinstance(value, ast.Dict)
    ]


def _scripts(tree: ast.Module) -> set[int]:
    """The nodes a module runs as a maintainer's script (`if __name__ == "__main__":`): its output is for the
    maintainer who runs it, not for people using Puente."""
    return {
        id(inner)
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
        for statement in node.body
        for inner in ast.walk(statement)
    }


def untranslated(source: str) -> list[tuple[int, str]]:
    """(line, literal) for each piece of language handed to people without a catalogue."""
    found = []
    tree = ast.parse(source)
    scripts = _scripts(tree)
    for node in ast.walk(tree):
        if id(node) in scripts:
            continue
        if isinstance(node, ast.Dict):
            found += [
                (literal.lineno, str(literal.value))
                for text in _keyed_texts(node)
                for literal in _literals(text)
                if WORDS.search(str(literal.value)) and not COMMAND.match(str(literal.value))
            ]
        if not isinstance(node, ast.Call):
            continue
        if _called(node) == "Subcommand":
            # Made at import time: translated then, it would read in one language to everyone.
            found += [
                (text.lineno, "_() at import time: use lazy_gettext()")
                for text in _texts(node)
                if isinstance(text, ast.Call) and _called(text) in ("_", "gettext", "ngettext")
            ]
        for text in _texts(node):
            for literal in _literals(text):
                value = str(literal.value)
                if WORDS.search(value) and not COMMAND.match(value):
                    found.append((literal.lineno, value))
    return found


# What the scan must catch (and on which lines) and what it must pass: in the code of the command core and
# the domains, and in what an adapter shows (Block Kit, Telegram keys, the terminal).
SCANNED = {
    "core": (
        "def f(n, ref):\n"
        "    raise NotFound(f'No ticket {ref}.')\n"
        "    lines.append('Nothing yet')\n"
        "    return Reply(text=_('Opened {ref}.').format(ref=ref) + ' Share it.', fields=[('Owner', n)])\n",
        [2, 3, 4, 4],
        "def f(n, ref):\n"
        "    raise NotFound(_('No ticket {ref}.').format(ref=ref))\n"
        "    lines.append(f'/incident show {ref}')\n"
        "    lines.append(ngettext('{n} page', '{n} pages', n).format(n=n) + ' — ' + ref)\n"
        "    return Reply(text='\\n'.join([ref]), buttons=[Button(_('Show'), f'show {ref}')])\n",
    ),
    "adapter": (
        "def f(ref):\n"
        "    deny = {'type': 'plain_text', 'text': 'Cancel'}\n"
        "    key = InlineKeyboardButton('Confirm', callback_data=ref)\n"
        "    print(f'Stopping Puente for {ref}.')\n"
        "    block = _input('title', 'Title', {'type': 'plain_text_input'})\n",
        [2, 3, 4, 5],
        "def f(ref):\n"
        "    deny = {'type': 'plain_text', 'text': _('Cancel')}\n"
        "    section = {'type': 'section', 'text': {'type': 'mrkdwn', 'text': ref}}\n"
        "    log.error('Slack refused a reply (%s)', ref)\n"
        "    print(_('[to {name}] {text}').format(name=ref, text=ref) + f': /incident {ref}')\n"
        "if __name__ == '__main__':\n"
        "    print('wrote the shapes')\n",
    ),
    # What a ticket's timeline says of an event; an event of no ticket is the operator's record.
    "timeline": (
        "def f(ctx, ticket, name, before):\n"
        "    ctx.record('opened', f'opened {ticket.reference}', ticket_id=ticket.id)\n"
        "    ctx.record(action='shared', ticket_id=ticket.id, summary='shared to ' + name)\n"
        "    touch(ctx, ticket, 'assigned', f'assigned to {name}', before)\n",
        [2, 3, 4],
        "def f(ctx, ticket, name):\n"
        "    ctx.record('user-added', f'{name} as analyst')\n"
        "    ctx.record('assigned', Phrase(N_('to {name}'), {'name': name}), ticket_id=ticket.id)\n"
        "    record_on_timeline(ctx, row, 'assistance-held', Words('message type', ('ACK',)))\n",
    ),
}


@pytest.mark.parametrize(("caught", "lines", "clean"), SCANNED.values(), ids=SCANNED)
def test_the_scan_finds_text_that_skipped_the_catalogue_and_passes_text_that_went_through_it(
    caught: str, lines: list[int], clean: str
) -> None:
    assert [line for line, _text in untranslated(caught)] == lines
    assert untranslated(clean) == []


@pytest.mark.parametrize("module", USER_FACING)
def test_what_a_module_says_to_people_comes_from_the_catalogues(module: str) -> None:
    found = untranslated((ROOT / module).read_text())
    assert found == [], f"{module} says text that is in no catalogue (wrap it in _() or ngettext())"


# The web view's templates: the text of their HTML, what a browser shows of their attributes, and every
# string their expressions hold outside the message of a `_()`, `ngettext()` or `pgettext()` call.
TEMPLATES = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "server/web/templates").glob("*.html"))
# What a browser shows of a tag besides its text: a tooltip, a placeholder, an image's description.
SHOWN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}
# Codes a template compares or passes on (a form field's name, a path, a query, a template), never language.
CODE = re.compile(r"^[a-z0-9_./:+=&?%-]*$")
# The product's name, the same in every language.
NAMES = {"Puente"}
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def _language(value: str, code_allowed: bool = False) -> bool:
    said = value.replace("\x00", " ").strip()
    for name in NAMES:
        said = said.replace(name, "")
    return bool(WORDS.search(said)) and not (COMMAND.match(said) or (code_allowed and CODE.match(said)))


def _shown(node: nodes.Node) -> list[nodes.Const]:
    """The strings an expression prints as they are: itself, either side of `or` and of `… if … else …`,
    the parts of a `~` join, and the values given to a message's placeholders."""
    if isinstance(node, nodes.Const):
        return [node]
    if isinstance(node, nodes.CondExpr):
        return _shown(node.expr1) + (_shown(node.expr2) if node.expr2 is not None else [])
    if isinstance(node, (nodes.Or, nodes.And)):
        return _shown(node.left) + _shown(node.right)
    if isinstance(node, nodes.Concat):
        return [found for part in node.nodes for found in _shown(part)]
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in GETTEXT:
        return [found for keyword in node.kwargs for found in _shown(keyword.value)]
    return []


class _Page(HTMLParser):
    """The text of an HTML page and the attributes a browser shows, with their lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.shown: list[tuple[int, str]] = []

    def handle_data(self, data: str) -> None:
        self.shown.append((self.getpos()[0], data))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.shown += [(self.getpos()[0], value) for name, value in attrs if name in SHOWN_ATTRIBUTES and value]


def untranslated_template(source: str) -> list[tuple[int, str]]:
    """(line, text) for each piece of language in a Jinja template that no catalogue call says."""
    tree = Environment().parse(source)
    messages = set()
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in GETTEXT:
            said = 2 if call.node.name in ("ngettext", "pgettext") else 1
            messages |= {id(argument) for argument in call.args[:said]}
    # Printed as they are, strings must be no language; elsewhere (a field's name, a path, a state
    # compared, a code handed to `words.severity`) they may be codes, never prose.
    printed = {id(found) for output in tree.find_all(nodes.Output) for node in output.nodes for found in _shown(node)}
    found = [
        (constant.lineno, constant.value)
        for constant in tree.find_all(nodes.Const)
        if isinstance(constant.value, str)
        and id(constant) not in messages
        and _language(constant.value, code_allowed=id(constant) not in printed)
    ]
    # The HTML with each expression and statement blanked out, its lines kept.
    page = _Page()
    page.feed(_JINJA.sub(lambda match: "\x00" + "\n" * match.group(0).count("\n"), source))
    page.close()
    return sorted(found + [(line, text.replace("\x00", " ").strip()) for line, text in page.shown if _language(text)])


def test_the_template_scan_finds_text_outside_the_catalogue_and_passes_text_that_went_through_it() -> None:
    caught = untranslated_template(
        '<h1>Tickets</h1>\n<input placeholder="Search tickets">\n'
        '{{ ticket.owner or "unassigned" }} {{ _("{n} open", n="and more") }}\n'
        '{% for path, label in [("/map", "The map")] %}{{ label }}{% endfor %}\n'
    )
    assert caught == [(1, "Tickets"), (2, "Search tickets"), (3, "and more"), (3, "unassigned"), (4, "The map")]
    clean = untranslated_template(
        '<h1 title="{{ _("Tickets") }}">{{ _("Tickets") }} · Puente</h1><th>TLP</th>\n'
        '<input name="country" placeholder="BR">{{ ngettext("{count} ticket", "{count} tickets", n) }}\n'
        '{% if r.state == "SENT" %}{{ words.scope("cross-border") }}{% endif %}'
        '<a href="/tickets?scope=all&tlp=red">{{ _("Run {command}", command="/incident web") }}</a>\n'
        '{{ e.at.strftime("%Y-%m-%d %H:%M:%S") }} {{ pgettext("role", role) }}'
    )
    assert clean == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_what_a_page_says_comes_from_the_catalogues(template: str) -> None:
    found = untranslated_template((ROOT / template).read_text())
    assert found == [], f"{template} says text that is in no catalogue (wrap it in _() or ngettext())"
