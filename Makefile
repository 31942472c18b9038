# Two set-up commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install install-dev db clean browser catalogues

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

db: install
	$(BIN)/puente db upgrade

run: db
	$(BIN)/puente run

# The layering contract (.importlinter), the linter, the formatter and the type checker come first.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# The web view's browser tests drive Debian's Chromium (never a browser Playwright would download):
# install it where it is missing and we may; otherwise those tests skip and say why.
browser:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: the browser tests will skip"; \
	  else echo "chromium is not installed (apt-get install chromium as root): the browser tests will skip"; fi; \
	fi

# What Puente says lives in gettext catalogues, two per language (i18n/locale/LANG/LC_MESSAGES/*.po), so
# the command core's text and the adapters' are translated apart: `puente` (the command core, handlers,
# domains) and `adapters` (Slack, Telegram, console, web view, command line, reports).
# After changing a message in the code: `make catalogues` extracts them all again and merges them into
# every catalogue; then translate what is new (`make test` fails while a catalogue lacks a message).
CORE_SOURCES := bot/__init__.py bot/core.py bot/commands.py bot/registry.py bot/replies.py bot/handlers \
  services stix storage taxii i18n
ADAPTER_SOURCES := bot/slack bot/telegram bot/console server cli services/reports
LOCALE_DIR := i18n/locale
catalogues: install-dev
	$(BIN)/pybabel --quiet extract --no-location --sort-output --no-wrap -k lazy_gettext -k lazy_pgettext:1c,2 --project=Puente \
	  --ignore-dirs ".* ._ reports" -o $(LOCALE_DIR)/puente.pot $(CORE_SOURCES)
	$(BIN)/pybabel --quiet extract --no-location --sort-output --no-wrap -k lazy_gettext -k lazy_pgettext:1c,2 --project=Puente \
	  -o $(LOCALE_DIR)/adapters.pot $(ADAPTER_SOURCES)
	for domain in puente adapters; do for pair in en:en es:es pt:pt_BR fr:fr; do \
	  po=$(LOCALE_DIR)/$${pair%%:*}/LC_MESSAGES/$$domain.po; \
	  if [ -f $$po ]; then \
	    $(BIN)/pybabel --quiet update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --no-wrap \
	      -i $(LOCALE_DIR)/$$domain.pot -l $${pair#*:} -o $$po || exit 1; \
	  else $(BIN)/pybabel --quiet init --no-wrap -i $(LOCALE_DIR)/$$domain.pot -l $${pair#*:} -o $$po || exit 1; fi; \
	done; done

test: lint browser
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
