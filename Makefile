# OneStop: `make run` sets everything up and serves; `make test` sets up what the tests need and runs them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The city package served: `make run CITY=lianyungang` (processes/<city>/; ONESTOP_CITY works too). Each city
# keeps its own SQLite file, so switching cities never mixes their flows, users and cases in one database.
CITY ?= $(or $(ONESTOP_CITY),liaocheng)
export ONESTOP_CITY := $(CITY)
export ONESTOP_DATABASE_URL ?= sqlite:///instance/$(if $(filter liaocheng,$(CITY)),onestop,onestop-$(CITY)).db

.PHONY: run test setup setup-dev assets test-system lint bench clean stop

# Installing prints nothing but a line saying what it does: pip's and setuptools' chatter (build warnings,
# progress) goes to .venv/install.log, whose end is shown if the installation fails.
PIP_QUIET = --quiet --disable-pip-version-check --no-input
define quietly
	@$(1) >> $(VENV)/install.log 2>&1 || { echo "failed: $(1)"; tail -n 40 $(VENV)/install.log; exit 1; }
endef

$(BIN)/python:
	@echo "setup: creating $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	$(call quietly,$(BIN)/pip install $(PIP_QUIET) --upgrade pip)

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "setup: installing OneStop and its packages (details in $(VENV)/install.log)"
	$(call quietly,$(BIN)/pip install $(PIP_QUIET) -e .)
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	@echo "setup: installing the test tools (details in $(VENV)/install.log)"
	$(call quietly,$(BIN)/pip install $(PIP_QUIET) -e '.[dev]')
	@touch $@

setup: $(VENV)/.installed assets translations

setup-dev: $(VENV)/.installed-dev assets translations

# The web UI's message catalogues (ui/translations/*/LC_MESSAGES/messages.po, committed) compiled to .mo.
translations: $(VENV)/.installed
	@$(BIN)/pybabel -q compile -d ui/translations

# bpmn-js, dmn-js, swagger-ui and axe-core from the npm registry, copied into the static folder (never committed).
assets: ui/static/vendor/.stamp

ui/static/vendor/.stamp: package.json package-lock.json
	@echo "setup: front-end packages from npm (bpmn-js, dmn-js, swagger-ui, axe-core)"
	@npm ci --no-audit --no-fund --silent
	@mkdir -p ui/static/vendor/bpmn-js ui/static/vendor/axe-core ui/static/vendor/dmn-js ui/static/vendor/swagger-ui
	@cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js \
	   node_modules/bpmn-js/dist/bpmn-modeler.production.min.js ui/static/vendor/bpmn-js/
	@cp -r node_modules/bpmn-js/dist/assets ui/static/vendor/bpmn-js/
	@cp node_modules/axe-core/axe.min.js ui/static/vendor/axe-core/
	@cp node_modules/dmn-js/dist/dmn-modeler.production.min.js ui/static/vendor/dmn-js/
	@cp -r node_modules/dmn-js/dist/assets ui/static/vendor/dmn-js/
	@cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   ui/static/vendor/swagger-ui/
	@touch $@

# `onestop deploy` leaves alone a flow whose newest version was made in the web designer (see README).
run: setup
	@$(BIN)/onestop db upgrade
	@$(BIN)/onestop deploy "$${ONESTOP_PROCESSES_DIR:-processes/$(CITY)}"
	@set -o pipefail; $(BIN)/onestop demo | { grep -v '^demo: case ' || true; }
	@echo "OneStop is at http://127.0.0.1:5000 — demo password onestop-demo (admin, designer, applicant, city_window, …);"
	@echo "the API is at http://127.0.0.1:5000/api/v1. Stop the server with Ctrl-C."
	@$(BIN)/onestop serve --host 127.0.0.1 --port 5000

# System packages the tests need (Chromium, CJK fonts, PostgreSQL), installed when root and missing.
test-system:
	@scripts/test-system.sh

# The PostgreSQL pass starts a private server under .pg/ and stops it when the pass ends, passed or failed —
# unless it was running already (someone started it with scripts/postgres.sh), which it then leaves running.
test: setup-dev test-system
	$(BIN)/ruff check engine tasks ui tests bench onestop_worker
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider -m "not postgres_only"
	@running=0; scripts/postgres.sh status >/dev/null 2>&1 && running=1; \
	url=$$(scripts/postgres.sh) || exit 1; \
	if [ $$running = 0 ]; then trap 'scripts/postgres.sh stop' EXIT; fi; \
	ONESTOP_TEST_DATABASE_URL=$$url $(BIN)/pytest -q -p no:cacheprovider -m "not sqlite_only"

# Stops the tests' private PostgreSQL server if one is running (`make run` stops with Ctrl-C).
stop:
	@scripts/postgres.sh stop

bench: setup-dev
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) node_modules ui/static/vendor .pg
