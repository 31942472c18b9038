# Two set-up commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install install-dev bytecode db clean browser catalogues

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
install-dev: $(VENV)/.installed-dev bytecode

# The tests start `puente` in a subprocess a few hundred times; where PYTHONDONTWRITEBYTECODE is set
# (as on CI), each would compile every module it imports again. Compile Puente's modules here, where
# Python's own check keeps them fresh: compileall skips what is up to date, and recompiles what changed
# (it does not follow the package's links to its folders, so each link is named).
bytecode: $(VENV)/.installed
	$(BIN)/python -m compileall -q puente $$(find puente -maxdepth 1 -type l)

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
	$(BIN)/mypy bench  # scripts, not a package: checked on their own

# The web view's browser tests drive Debian's Chromium (never a browser Playwright would download):
# install it where it is missing and we may; otherwise those tests skip and say why.
browser:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: the browser tests will skip"; \
	  else echo "chromium is not installed (apt-get install chromium as root): the browser tests will skip"; fi; \
	fi

# What Puente says lives in gettext catalogues, three per language (i18n/locale/LANG/LC_MESSAGES/*.po):
# `puente` (the command core, handlers, domains), `adapters` (Slack, Telegram, console, command line) and
# `web` (the web view, reports); i18n/catalogues.py says which code each one holds.
# After changing a message in the code: `make catalogues` extracts them all again and merges them into
# every catalogue; then translate what is new (`make test` fails while a catalogue lacks a message).
catalogues: install-dev
	$(BIN)/python -m puente.i18n.catalogues

test: lint browser
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
