# The two commands a newcomer needs: `make demo` and `make test`. Both make the
# virtual environment (.venv) and install the pinned dependencies first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint generate browser bench

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/connector demo

# The Zapier app's own tooling (zapier-platform-core) runs its tests under Node.
ZAPIER_MODULES := manifests/zapier/node_modules/.package-lock.json

$(ZAPIER_MODULES): manifests/zapier/package-lock.json
	npm ci --prefix manifests/zapier --no-audit --no-fund --loglevel=error

# The n8n tier (tests/platforms/test_n8n.py): n8n 2.8.4, the newest that runs on
# Node 20, installed once into a cache outside the tree (about 2.3 GB, 5 minutes).
# n8n-nodes-base 2.8.1 pulls xlsx from a CDN tarball outside the registry; the
# override takes the registry's xlsx instead. The stamp is written only on success.
N8N_HOME ?= $(HOME)/.cache/retell-connector/n8n-2.8.4
N8N_STAMP := $(N8N_HOME)/.installed
N8N_TOOLING := manifests/n8n/node_modules/.package-lock.json

# The console's browser test drives Debian's Chromium; without it (no root, no apt)
# that one test is skipped and says so.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	  || echo "chromium is not installed: the console's browser test will be skipped"

# Two tiers: everything but n8n, then the n8n tier (a real n8n running the
# generated node). The first run on a machine installs n8n into N8N_HOME.
test: $(STAMP) $(ZAPIER_MODULES) $(N8N_TOOLING) $(N8N_STAMP) browser
	$(BIN)/ruff check connector tests
	$(BIN)/connector generate --check
	$(BIN)/pytest -q -m "not n8n"
	N8N_HOME=$(N8N_HOME) $(BIN)/pytest -q -m n8n tests/platforms/test_n8n.py

lint: $(STAMP)
	$(BIN)/ruff check connector tests

generate: $(STAMP)
	$(BIN)/connector generate

# Benchmarks (bench/README.md): ratios against baselines measured in the same run.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run

$(N8N_STAMP):
	mkdir -p $(N8N_HOME)
	echo '{ "private": true, "dependencies": { "n8n": "2.8.4" }, "overrides": { "xlsx": "0.18.5" } }' \
	  > $(N8N_HOME)/package.json
	npm install --prefix $(N8N_HOME) --no-audit --no-fund --loglevel=error
	touch $(N8N_STAMP)

# The node package's build tooling (@n8n/node-cli), from its checked-in lock.
$(N8N_TOOLING): manifests/n8n/package-lock.json
	npm ci --prefix manifests/n8n --no-audit --no-fund --loglevel=error

.PHONY: n8n-tier
n8n-tier: $(STAMP) $(N8N_TOOLING) $(N8N_STAMP)
	N8N_HOME=$(N8N_HOME) $(BIN)/pytest -q -m n8n tests/platforms/test_n8n.py
