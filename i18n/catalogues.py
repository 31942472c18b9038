"""Where each catalogue's messages are said, and `make catalogues`: extract them again after the code changes.

Three catalogues per language, so each part of Puente is translated apart:

- `puente`: the command core, the handlers and the domains (what every adapter says alike);
- `adapters`: what Slack, Telegram, the console and the command line say of their own;
- `web`: the web view's pages (its Python and its Jinja templates) and the reports.

A message belongs to one catalogue only, the first of those that says it: an adapter that says
"Severity" reads the command core's translation of it, so a word cannot be translated two ways
(the catalogues are compiled into one per language, where a second translation would silently win).

    python -m puente.i18n.catalogues     # what `make catalogues` runs

It writes each catalogue's template (locale/DOMAIN.pot) and merges it into every language's .po:
new messages arrive untranslated (`make test` fails until they are translated), messages the code no
longer says are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.pofile import read_po, write_po

from puente.i18n import LOCALE_DIR, LOCALES

ROOT = LOCALE_DIR.parents[1]
# Each catalogue: the files and folders whose messages it holds, and the folders among them it leaves
# to another catalogue. The order is ownership: a message goes to the first catalogue that says it.
DOMAINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "puente": (
        (
            "bot/__init__.py",
            "bot/core.py",
            "bot/commands.py",
            "bot/registry.py",
            "bot/replies.py",
            "bot/handlers",
            "services",
            "stix",
            "storage",
            "taxii",
            "i18n",
        ),
        ("services/reports",),
    ),
    "adapters": (("bot/slack", "bot/telegram", "bot/console", "cli", "server"), ("server/web",)),
    "web": (("server/web", "services/reports"), ()),
}
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2), "N_plural": (1, 2)}

# A message as extracted: its forms ((singular,) or (singular, plural)), by its key: its id (the
# singular) and the context it is said in (None for most).
Key = tuple[str, str | None]
Message = tuple[str, ...]


# How Babel reads each kind of file: Python, and the web view's Jinja templates (their `_()`, `ngettext()`
# and `pgettext()` calls; tests/test_catalogues.py holds their other text to account).
METHODS = {".py": "python", ".html": "jinja2.ext:babel_extract"}


def _files(domain: str) -> Iterator[Path]:
    sources, left_out = DOMAINS[domain]
    for source in sources:
        path = ROOT / source
        if path.is_file():
            yield path
            continue
        for file in sorted(found for suffix in METHODS for found in path.rglob(f"*{suffix}")):
            if not any(file.is_relative_to(ROOT / folder) for folder in left_out):
                yield file


def said(domain: str) -> dict[Key, Message]:
    """The messages a catalogue's code says, whichever catalogue owns them."""
    said: dict[Key, Message] = {}
    for file in _files(domain):
        with file.open("rb") as source:
            for _line, message, _comments, context in extract(METHODS[file.suffix], source, keywords=KEYWORDS):
                forms = (message,) if isinstance(message, str) else tuple(m for m in message if m)
                if forms:
                    said[(forms[0], context)] = forms
    return said


def extracted() -> dict[str, dict[Key, Message]]:
    """Every catalogue's messages: each in the first catalogue whose code says it."""
    owned: set[Key] = set()
    catalogues: dict[str, dict[Key, Message]] = {}
    for domain in DOMAINS:
        catalogues[domain] = {key: forms for key, forms in said(domain).items() if key not in owned}
        owned |= set(catalogues[domain])
    return catalogues


def _template(domain: str, messages: dict[Key, Message]) -> Catalog:
    template = Catalog(project="Puente", domain=domain, fuzzy=False)
    pot = LOCALE_DIR / f"{domain}.pot"
    if pot.exists():
        # The template was created once: a date that changed on every run would make every branch's
        # catalogues conflict with every other's.
        with pot.open("rb") as existing:
            template.creation_date = read_po(existing).creation_date
    for (msgid, context), forms in sorted(messages.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        template.add(forms if len(forms) > 1 else msgid, context=context)
    return template


def _write(catalog: Catalog, path: Path) -> None:
    with path.open("wb") as out:
        write_po(out, catalog, width=0, omit_header=False, sort_output=True, no_location=True, ignore_obsolete=True)


def main() -> None:
    for domain, messages in extracted().items():
        template = _template(domain, messages)
        _write(template, LOCALE_DIR / f"{domain}.pot")
        for language, cldr in LOCALES.items():
            po = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
            if po.exists():
                with po.open("rb") as existing:
                    catalog = read_po(existing, locale=cldr)
                catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
            else:
                po.parent.mkdir(parents=True, exist_ok=True)
                catalog = Catalog(locale=cldr, project="Puente", domain=domain, fuzzy=False)
                catalog.update(template, no_fuzzy_matching=True)
            _write(catalog, po)


if __name__ == "__main__":
    main()
