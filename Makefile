# The two commands a newcomer needs: `make run` and `make test`. `make` alone lists targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= auto

.DEFAULT_GOAL := help

.PHONY: help run test lint types unit fmt docs-cli bench screenshots clean

help: ## List the targets
	@grep -E '^[a-z][a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.installed-dev: pyproject.toml $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed ## Start firehouse on ./firehouse.db at http://127.0.0.1:8000
	$(BIN)/firehouse serve

test: lint types unit ## Lint, type-check and run the whole test suite

lint: $(BIN)/.installed-dev ## ruff check and ruff format --check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(BIN)/.installed-dev ## mypy --strict on src
	$(BIN)/mypy

unit: $(BIN)/.installed-dev ## The test suite (FIREHOUSE_TEST_DATABASE_URL selects PostgreSQL)
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

fmt: $(BIN)/.installed-dev ## Format and fix what ruff can
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

docs-cli: $(BIN)/.installed ## Regenerate docs/cli.md from --help
	$(BIN)/python -m firehouse.cli.reference > docs/cli.md

bench: $(BIN)/.installed-dev ## Run every benchmark in bench/ (prints figures; ingest needs wrk and prometheus-alertmanager)
	$(BIN)/python bench/core.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/intake_cpu.py
	$(BIN)/python bench/paging.py
	$(BIN)/python bench/schedules.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/statuspage.py
	$(BIN)/python bench/postmortem_search.py

screenshots: $(BIN)/.installed-dev ## Refresh docs/screenshots/ in headless Chromium (apt install chromium)
	$(BIN)/python bench/screenshots.py --out docs/screenshots

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
