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

# The console's browser test drives Debian's Chromium; without it (no root, no apt)
# that one test is skipped and says so.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	  || echo "chromium is not installed: the console's browser test will be skipped"

test: $(STAMP) $(ZAPIER_MODULES) browser
	$(BIN)/ruff check connector tests
	$(BIN)/connector generate --check
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check connector tests

generate: $(STAMP)
	$(BIN)/connector generate

# Benchmarks (bench/README.md): ratios against baselines measured in the same run.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run
