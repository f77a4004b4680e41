# keychannel — the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/pytest
PORT ?= 8000

.PHONY: demo test venv test-sqlite test-postgres test-browser check-migrations lint serve load bench clean help

help:
	@echo "make demo     install, seed demo data and serve on http://127.0.0.1:$(PORT)"
	@echo "make test     run the whole suite: SQLite, PostgreSQL (throwaway server), browser"
	@echo "make lint     ruff"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/keychannel demo --port $(PORT)

serve: $(STAMP)
	$(BIN)/keychannel serve

check-migrations: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

# The suite on the embedded SQLite database (browser tests run in their own target).
test-sqlite: $(STAMP)
	$(PYTEST) -m "not browser" -p no:cacheprovider $(PYTEST_ARGS)

# The same suite on a real PostgreSQL server that scripts/pgtest.py starts and removes.
test-postgres: $(STAMP)
	$(BIN)/python scripts/pgtest.py run -- $(PYTEST) -m "not browser" -p no:cacheprovider $(PYTEST_ARGS)

# Headless Debian Chromium driven by Playwright against a live server.
test-browser: $(STAMP)
	$(PYTEST) -m browser -p no:cacheprovider $(PYTEST_ARGS)

test: check-migrations test-sqlite test-postgres test-browser

lint: $(STAMP)
	$(BIN)/ruff check keychannel tests bench

clean:
	rm -rf $(VENV) var .pytest_cache
