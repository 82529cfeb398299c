# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST_PORT ?= 127.0.0.1:8000

.PHONY: run test lint format migrate seed serve browser clean

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
	$(BIN)/pytest

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
