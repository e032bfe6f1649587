# The two commands a newcomer needs: `make demo` and `make test`. Both make the
# virtual environment (.venv) and install the pinned dependencies first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint generate

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/connector demo

test: $(STAMP)
	$(BIN)/ruff check connector tests
	$(BIN)/connector generate --check
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check connector tests

generate: $(STAMP)
	$(BIN)/connector generate
