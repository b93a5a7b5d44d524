# The two commands: `make dev` serves the whole gateway locally, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
TOOLS := .venv-tools
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TOOLS_STAMP := $(TOOLS)/.installed
PIP_QUIET := --quiet --disable-pip-version-check
# This machine's pip config names local mirrors that may be absent; hide only that noise.
QUIET_PIP := 2>&1 | { grep -v '^WARNING: Location' || true; }
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

.PHONY: dev test unit functional e2e lint validate bench build clean

$(STAMP): requirements-dev.txt layers/gateway/requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) --upgrade pip $(QUIET_PIP)
	$(PY) -m pip install $(PIP_QUIET) -r requirements-dev.txt $(QUIET_PIP)
	$(PY) -m pip install $(PIP_QUIET) --no-deps -e . $(QUIET_PIP)
	$(PY) -c "import aigw, aigw_local, fastapi, moto, openai"
	touch $@

# SAM CLI and cfn-lint pin their own boto3 and pull awscrt: they get their own environment.
$(TOOLS_STAMP): requirements-tools.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install $(PIP_QUIET) -r requirements-tools.txt $(QUIET_PIP)
	$(TOOLS)/bin/sam --version
	touch $@

dev: $(STAMP)
	$(PY) -m aigw_local

test: $(STAMP) $(TOOLS_STAMP) lint
	SAM_CLI_TELEMETRY=0 AIGW_SAM=$(abspath $(TOOLS))/bin/sam $(PY) -m pytest $(PYTEST_ARGS)

unit: $(STAMP)
	$(PY) -m pytest tests/unit

functional: $(STAMP)
	$(PY) -m pytest tests/functional

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

lint: $(STAMP)
	$(PY) -m ruff check layers local bench tests
	cd layers/gateway && ../../$(PY) -m mypy aigw

validate: $(TOOLS_STAMP)
	SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam validate --lint --region us-east-1

bench: $(STAMP)
	$(PY) bench/run.py

# Needs the template's Python (python3.13) on PATH, e.g. `pyenv shell 3.13.0`.
build: $(TOOLS_STAMP)
	SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam build

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache
