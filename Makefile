# Seva: the two commands are `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo's fake payment gateway and bank (manage.py fake_gateway): where the settings'
# SEVA_PAYMENT_URL points, 127.0.0.1:8765 unless the environment says otherwise.
FAKE_GATEWAY_URL ?= $(or $(SEVA_PAYMENT_URL),http://127.0.0.1:8765)

.PHONY: help run test setup install lint format messages lock worker clean

help:
	@echo "make run    set up, then start the web server, a Celery worker with beat and the demo payment gateway"
	@echo "make test   set up, then run the whole test suite"
	@echo "make lint   ruff check, ruff format --check, the floors (lint-imports), mypy, makemigrations --check"
	@echo "make messages  update the Hindi catalogue (platform/seva/locale) and compile it"

# ---------------------------------------------------------------------------
# Installation: a virtual environment from the lock file, then the project itself
# ---------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Some machines' pip configuration names extra package folders that do not exist; pip warns
# about each on every install. Those lines are dropped; anything else pip says is shown.
PIP_QUIET_FILTER := grep -v "^WARNING: Location 'file:" || true

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	set -o pipefail; $(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | { $(PIP_QUIET_FILTER); }
	set -o pipefail; $(BIN)/pip install --quiet -r requirements.lock 2>&1 | { $(PIP_QUIET_FILTER); }
	set -o pipefail; $(BIN)/pip install --quiet --no-deps --no-build-isolation -e . 2>&1 | { $(PIP_QUIET_FILTER); }
	touch $@

install: $(VENV)/.installed

# ---------------------------------------------------------------------------
# Set-up shared by run and test: database, definitions, demo data
# ---------------------------------------------------------------------------
setup: install
	@mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) check_definitions
	$(MANAGE) sync_definitions
	$(MANAGE) seed_demo --quiet

run: setup
	@$(MANAGE) collectstatic --noinput --verbosity 0
	@mkdir -p var/celery
	@DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-seva.config.settings.dev} \
		$(BIN)/celery -A seva.config worker --beat --concurrency 1 --loglevel INFO \
		--schedule var/celery/beat-schedule > var/celery/worker.log 2>&1 & \
	worker=$$!; \
	$(MANAGE) fake_gateway > var/fake-gateway.log 2>&1 & \
	gateway=$$!; \
	trap 'kill $$worker $$gateway 2>/dev/null; wait $$worker $$gateway 2>/dev/null' EXIT INT TERM; \
	echo; \
	echo "Seva is starting on http://$(HOST):$(PORT)/"; \
	echo "  Citizen portal        http://$(HOST):$(PORT)/"; \
	echo "  Demo SMS box          http://$(HOST):$(PORT)/demo/sms/  (OTP sign-in codes arrive here)"; \
	echo "  Staff workspace       http://$(HOST):$(PORT)/admin/"; \
	echo "  REST API              http://$(HOST):$(PORT)/api/v1/services/"; \
	echo "  Celery worker + beat  log in var/celery/worker.log (pid $$worker)"; \
	echo "  Demo payment gateway  $(FAKE_GATEWAY_URL)/  (its bank's e-challan counter: $(FAKE_GATEWAY_URL)/bank; log in var/fake-gateway.log, pid $$gateway)"; \
	echo; \
	$(MANAGE) seed_demo --logins-only; \
	echo; \
	$(MANAGE) runserver $(HOST):$(PORT)

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

# ---------------------------------------------------------------------------
# Developer tools
# ---------------------------------------------------------------------------
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy -p seva.core -p seva.org -p seva.formschemas -p seva.workflows -p seva.citizens \
		-p seva.definitions -p seva.applications -p seva.expressions -p seva.documents -p seva.payments
	$(MANAGE) makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Seva's own strings, from platform/seva and themes/*/templates, into one catalogue in
# platform/seva/locale (LOCALE_PATHS). New strings arrive untranslated, and
# tests/core/test_translations.py fails until the .po has them and the .mo is recompiled.
I18N_SKIP := --ignore='.*' --ignore=node_modules --ignore=var --ignore=tests --ignore=docs

messages: install
	$(MANAGE) makemessages -l hi --no-location $(I18N_SKIP)
	$(MANAGE) compilemessages -l hi $(I18N_SKIP)

lock: install
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf var/seva.sqlite3 var/celery var/static
