# Quickstart targets. Each one creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench-import clean constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-%: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[$*]'
	touch $@

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[train]'
	touch $@

demo: $(VENV)/.installed  ## make the embedded SQLite database, load demo data, show it
	$(BIN)/recbot demo

test: $(VENV)/.installed-test  ## lint, types, layering, then the suite (also on PostgreSQL when TEST_DATABASE_URL is set)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

bench-import: $(VENV)/.installed-bench  ## 10M-row import benchmark (see bench/RESULTS.md)
	bash bench/import_10m.sh

constraints: $(VENV)/.installed-test  ## re-pin constraints.txt to what the test environment holds
	{ head -n 2 constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^recbot'; } > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) recbot.db recbot.db-* demo-data
