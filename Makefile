# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST_PORT ?= 127.0.0.1:8000
# pytest-xdist workers for `make test` (one per core here).
TEST_WORKERS ?= 2

.PHONY: run test lint format migrate seed serve browser clean backup restore

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-runtime

## run: install, migrate, load the demo clinic and serve it at http://$(HOST_PORT)
run: $(VENV)/.installed-runtime
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo "Serving the demo clinic at http://$(HOST_PORT) (Ctrl-C to stop)"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST_PORT)

## test: the whole suite (lint, migrations check, unit, view and browser tests)
test: $(VENV)/.installed-dev browser
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=rehab.settings_test
	$(BIN)/pytest -n $(TEST_WORKERS)

# Browser journeys drive Debian's Chromium; Playwright cannot download browsers here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install -y chromium'" >&2; exit 1; \
	  fi; }

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts .pytest_cache .ruff_cache

# --- Production and backups (issue 7; see README "Running it for the clinic") ---------
BIND ?= 127.0.0.1:8000
WORKERS ?= 3
# The access log leaves out query strings: a search for a patient's name stays out of it.
ACCESS_LOG_FORMAT := %(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss

## serve: migrate, collect static files and run gunicorn (needs the production environment)
serve: $(VENV)/.installed-runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/gunicorn rehab.wsgi:application --bind $(BIND) --workers $(WORKERS) \
	  --access-logfile - --access-logformat '$(ACCESS_LOG_FORMAT)'

## backup: write the database to backups/ (a SQLite copy, or pg_dump with PostgreSQL)
backup: $(VENV)/.installed-runtime
	$(BIN)/python manage.py backup

## restore: replace the database with a backup: make restore FILE=backups/rehab-....dump
restore: $(VENV)/.installed-runtime
	@test -n "$(FILE)" || { echo "Say which backup: make restore FILE=backups/rehab-..." >&2; exit 1; }
	$(BIN)/python manage.py restore --noinput "$(FILE)"

# --- Performance (issue 8; see README "Performance") --------------------------------
.PHONY: bench
## bench: seed a 5,000-plan clinic into PostgreSQL (rehab_bench) and measure it;
##   BENCH_SCALE=0.02 for a quick run, BENCH_DATABASE_URL for another server
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run
