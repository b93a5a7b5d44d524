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

.PHONY: dev test unit functional e2e browser lint validate bench build arm64-strip clean dashboard-assets \
	chromium

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

# The console's npm files (uPlot), at the lockfile's versions, into functions/management/dashboard/vendor/.
dashboard-assets:
	$(MAKE) --no-print-directory -s -C functions/management vendor

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }

dev: $(STAMP) dashboard-assets
	$(PY) -m aigw_local

test: $(STAMP) $(TOOLS_STAMP) arm64-strip lint dashboard-assets chromium
	SAM_CLI_TELEMETRY=0 AIGW_SAM=$(abspath $(TOOLS))/bin/sam $(PY) -m pytest $(PYTEST_ARGS)

unit: $(STAMP)
	$(PY) -m pytest tests/unit

functional: $(STAMP)
	$(PY) -m pytest tests/functional

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

browser: $(STAMP) dashboard-assets chromium
	$(PY) -m pytest tests/browser

lint: $(STAMP)
	$(PY) -m ruff check layers local bench tests
	cd layers/gateway && ../../$(PY) -m mypy aigw

validate: $(TOOLS_STAMP)
	SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam validate --lint --region us-east-1

bench: $(STAMP)
	$(PY) bench/run.py

# `sam build` needs the template's Python (python3.13): pyenv's is put on PATH when there is one.
# The arm64 layer's compiled extensions are stripped with a strip that reads arm64 ELF files.
PY313_BIN ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13*/bin))
build: $(TOOLS_STAMP) arm64-strip
	PATH="$(PY313_BIN):$$PATH" SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam build

arm64-strip:
	@command -v aarch64-linux-gnu-strip >/dev/null || command -v llvm-strip >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -q && \
	    apt-get install -y -q binutils-aarch64-linux-gnu; } || \
	  { echo "the arm64 layer needs aarch64-linux-gnu-strip (binutils-aarch64-linux-gnu) or llvm-strip" >&2; exit 1; }

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache functions/management/node_modules \
		functions/management/dashboard/vendor tests/browser/output
