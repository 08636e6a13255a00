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

.PHONY: run test setup setup-dev assets test-system lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed assets translations

setup-dev: $(VENV)/.installed-dev assets translations

# The web UI's message catalogues (ui/translations/*/LC_MESSAGES/messages.po, committed) compiled to .mo.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d ui/translations

# bpmn-js from the npm registry, copied into the static folder (never committed).
assets: ui/static/vendor/.stamp

ui/static/vendor/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p ui/static/vendor/bpmn-js
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js \
	   node_modules/bpmn-js/dist/bpmn-modeler.production.min.js ui/static/vendor/bpmn-js/
	cp -r node_modules/bpmn-js/dist/assets ui/static/vendor/bpmn-js/
	touch $@

run: setup
	$(BIN)/onestop db upgrade
	$(BIN)/onestop deploy "$${ONESTOP_PROCESSES_DIR:-processes/$(CITY)}"
	$(BIN)/onestop demo
	@echo "OneStop is at http://127.0.0.1:5000  (API: http://127.0.0.1:5000/api/v1, demo password: onestop-demo)"
	$(BIN)/onestop serve --host 127.0.0.1 --port 5000

# System packages the tests need (Chromium, CJK fonts, PostgreSQL), installed when root and missing.
test-system:
	@scripts/test-system.sh

test: setup-dev test-system
	$(BIN)/ruff check engine tasks ui tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider -m "not postgres_only"
	url=$$(scripts/postgres.sh) && ONESTOP_TEST_DATABASE_URL=$$url $(BIN)/pytest -q -p no:cacheprovider -m "not sqlite_only"

bench: setup-dev
	$(BIN)/python bench/throughput.py

clean:
	rm -rf $(VENV) node_modules ui/static/vendor .pg
