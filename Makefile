# keychannel — the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/pytest
PORT ?= 8000

.PHONY: demo test venv messages test-sqlite test-postgres test-browser test-sqlite-browser check-migrations lint serve load load-short load-ceiling bench bench-sizes clean help

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

# Compiled translation catalogs (.mo files are build output, not committed).
PO := $(wildcard keychannel/locale/*/LC_MESSAGES/django.po)
MO := $(PO:.po=.mo)
$(MO): $(PO) $(STAMP)
	$(BIN)/python scripts/i18n.py compile
messages: $(MO)

demo: $(STAMP) $(MO)
	$(BIN)/keychannel demo --port $(PORT)

serve: $(STAMP)
	$(BIN)/keychannel serve

check-migrations: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

# The suite on the embedded SQLite database (browser tests run in their own target). Tests marked
# `postgres_suite` (schema fuzzing, not even collected on SQLite) run on PostgreSQL only; the access matrix samples
# itself on SQLite (one manufacturer and one distributor role per route).
# SQLite test databases are built from the models, not by running the 70 migrations (about 85 CPU seconds a
# process); the PostgreSQL lane runs the migrations and checks that the data migrations' rows the SQLite lane loads
# (tests/migration_rows.json) are what they make. SQLITE_FLAGS= runs the migrations on SQLite too.
SQLITE_FLAGS ?= --nomigrations
test-sqlite: $(STAMP) $(MO)
	$(PYTEST) -m "not browser and not postgres_suite" -p no:cacheprovider $(SQLITE_FLAGS) $(PYTEST_ARGS)

# The same suite on a real PostgreSQL server that scripts/pgtest.py starts and removes. It carries the full
# access matrix and the fuzzing, so it is the longest part: pytest-xdist splits it over PG_WORKERS processes
# (each its own test database on the one server) while the SQLite and browser runs use the other core.
# `--dist loadgroup`: tests marked xdist_group stay on one worker (the demo, seeded once per module).
# PG_MARKS: `make test` leaves the database-free tests to the other lane; `make test-postgres` alone runs them.
PG_WORKERS ?= 2
PG_MARKS ?= not browser
test-postgres: $(STAMP) $(MO)
	$(BIN)/python scripts/pgtest.py run -- $(PYTEST) -m "$(PG_MARKS)" -p no:cacheprovider -n $(PG_WORKERS) \
	  --dist loadgroup $(PYTEST_ARGS)

# Headless Debian Chromium driven by Playwright against a live server.
test-browser: $(STAMP) $(MO)
	$(PYTEST) -m browser -p no:cacheprovider $(PYTEST_ARGS)

# SQLite then the browser tests in one lane, PostgreSQL (PG_WORKERS processes) in the other, side by side: the
# browser tests run while the PostgreSQL run ends instead of after it. Each lane's output is printed when it ends.
test: check-migrations
	$(MAKE) --no-print-directory -j2 --output-sync=target test-postgres test-sqlite-browser \
	  PG_MARKS="not browser and not no_database" SQLITE_BROWSER_MARKS="not postgres_suite"

# One pytest process for the SQLite and the browser tests (the root conftest puts the browser tests last): one test
# database instead of two. Tests that cannot reach a database (marked `no_database` by the root conftest) run once in
# `make test`, in this lane (the PostgreSQL lane is the longer one); run alone, this target leaves them out.
SQLITE_BROWSER_MARKS ?= not postgres_suite and not no_database
test-sqlite-browser: $(STAMP) $(MO)
	$(PYTEST) -m "$(SQLITE_BROWSER_MARKS)" -p no:cacheprovider $(SQLITE_FLAGS) $(PYTEST_ARGS)

# Bounded load test (not part of `make test`): demo data on a throwaway PostgreSQL, gunicorn, locust headless.
load: $(STAMP)
	$(BIN)/python scripts/pgtest.py run -- $(BIN)/python loadtest/run.py --users 20 --duration 60

load-short: $(STAMP)
	$(BIN)/python scripts/pgtest.py run -- $(BIN)/python loadtest/run.py --users 10 --duration 15

# The server's ceiling: the mix without think time, then the same mix against the plain Django view on the same
# workers; prints both req/s, their ratio and the workers' CPU per request (LOAD_ARGS="--profile" adds a profile).
load-ceiling: $(STAMP)
	$(BIN)/python scripts/pgtest.py run -- $(BIN)/python loadtest/run.py --no-think --users 20 --duration 60 $(LOAD_ARGS)

# Benchmarks (ratios in one run); writes the docs/benchmarks.md figures to var/bench/. bench_api.py and
# bench_sales.py run on the persistent cluster $(BENCH_PG) (the issue-10 data set is built once, about 6 min at
# full size, and reused: rm -rf $(BENCH_PG) to rebuild); the other bench scripts on their own throwaway databases.
BENCH_PG ?= var/bench/pgdata
bench: $(STAMP)
	$(BIN)/python scripts/pgtest.py run --keep $(BENCH_PG) -- $(BIN)/python bench/bench_api.py $(BENCH_ARGS)
	@if [ -f bench/bench_sales.py ]; then \
	  echo "== bench/bench_sales.py"; \
	  $(BIN)/python scripts/pgtest.py run --keep $(BENCH_PG) -- $(BIN)/python bench/bench_sales.py $(BENCH_SALES_ARGS) \
	    || exit $$?; \
	fi
	@for f in bench/bench_*.py; do \
	  case "$$f" in bench/bench_api.py|bench/bench_sales.py) continue;; esac; \
	  echo "== $$f"; $(BIN)/python scripts/pgtest.py run -- $(BIN)/python $$f || exit $$?; \
	done

# The API/page and search benchmarks at several data-set sizes, one kept cluster per size
# ($(BENCH_SIZES_PG) with {scale} replaced, built on first use), and one table of each endpoint's ratio to the bare
# endpoint at every size, flat or not (issue 22 part 5). Writes var/bench/bench_api_sizes.{json,md} and
# var/bench/bench_search_sizes.{json,md}.
BENCH_SIZES ?= 0.1,0.33,1
BENCH_SIZES_PG ?= var/bench/pgdata-{scale}
bench-sizes: $(STAMP)
	$(BIN)/python bench/bench_api.py --sizes $(BENCH_SIZES) --keep-pattern '$(BENCH_SIZES_PG)' $(BENCH_ARGS)
	$(BIN)/python bench/bench_search.py --sizes $(BENCH_SIZES) --keep-pattern '$(BENCH_SIZES_PG)' $(BENCH_SEARCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check keychannel tests bench

clean:
	rm -rf $(VENV) var .pytest_cache
