# The README's two commands: `make demo` and `make test`. Both set up .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= out
SHARED ?= ../shared/data

.PHONY: install demo test lint typecheck unit bench reference docs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ledgerlens demo --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks experiments

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_synth.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_enrich.py

# Rebuild the bundled brand table from the shared name-suggestion-index.
reference: $(STAMP)
	$(BIN)/python -m ledgerlens.datasets._brands $(SHARED)/name-suggestion-index

docs: $(STAMP)
	$(BIN)/ledgerlens schema --markdown > docs/schema.md

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
