# Tapstart's entry points. A fresh clone needs only Python 3.11, Node 20 and make:
#   make test   creates .venv and node_modules, then lint, type check, IaC check and pytest
#   make up     runs the local stack (Azurite, emulators, local Functions host) in the foreground
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.tapstart-installed
NODE_STAMP := node_modules/.tapstart-installed

# CI=true: no colours, no cache writes in the clone, and the summary of every non-passed test.
ifeq ($(CI),true)
PYTEST_FLAGS ?= -ra --color=no -p no:cacheprovider
else
PYTEST_FLAGS ?=
endif

.PHONY: venv node_modules lint typecheck iac-check test up event demo bench bench-report soak

venv: $(VENV_STAMP)

# Re-installs whenever a requirements file or pyproject.toml changes.
$(VENV_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@echo "Installing the Python dependencies into $(VENV) (first run: about 2 minutes; quiet) ..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e . --no-deps
	touch $@

node_modules: $(NODE_STAMP)

# npm ci installs exactly the lockfile (Azurite 3.35.0, the last release for Node 20).
$(NODE_STAMP): package.json package-lock.json
	@echo "Installing Azurite into node_modules (npm ci; first run: about 30 seconds) ..."
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

iac-check:
	if [ -f scripts/iac_check.sh ]; then bash scripts/iac_check.sh; fi

# The pytest session starts Azurite (and the emulators) on free ports and stops them at the end.
test: venv node_modules lint typecheck iac-check
	$(BIN)/python -m pytest $(PYTEST_FLAGS) </dev/null

# Prints the URLs and keys, and writes .local/local.settings.json for the CLI while it runs.
up: venv node_modules
	$(BIN)/python -m local.stack up

# One signed HR event to the stack `make up` runs: make event FILE=examples/hr-events/joiner.json
FILE ?= examples/hr-events/joiner.json
LOCAL_SETTINGS ?= .local/local.settings.json
event: venv
	$(BIN)/tapstart --settings $(LOCAL_SETTINGS) hr send $(FILE)

# The main job on the local stack: signed HR events in, TAPs and reminders out, a report for admins.
demo: venv node_modules
	$(BIN)/python -m local.demo

# Benchmarks print their figures against a baseline measured in the same run (docs/performance.md).
bench: venv node_modules
	$(BIN)/python -m bench

bench-report: venv node_modules
	$(BIN)/python -m bench.report_emulator_bench

# The full fault matrix and the 2,000-event burst (docs/reliability.md); minutes, not part of CI.
soak: venv node_modules
	$(BIN)/python -m bench.soak
