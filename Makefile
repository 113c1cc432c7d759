# Quick start: `make run` (the main job on the embedded defaults) and `make test` (the whole suite).
# Needs only Python 3.11, pip and make: everything else is installed into .venv (and, as root, Debian's Pango and
# DejaVu fonts for the letters: scripts/system-deps).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= data/synthetic
SEED ?= 1
PORT ?= 3000

.PHONY: install system-deps test-deps run test test-fast bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "vsv-risk needs Python 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --constraint constraints.txt --editable ".[dev,spark]"
	@touch $@

install: system-deps $(BIN)/.installed

# Debian's Pango and DejaVu fonts for the letters' PDF (WeasyPrint): installed as root, named otherwise.
system-deps:
	@scripts/system-deps

run: install
	$(BIN)/vsv demo --data $(DATA) --seed $(SEED) --port $(PORT)

# Debian's chromium and postgresql for the browser and database tests: installed as root, named otherwise.
test-deps:
	@scripts/test-deps

test: install test-deps
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

bench: install
	$(BIN)/python benchmarks/generate_population.py
	$(BIN)/python benchmarks/build_features.py
	$(BIN)/python benchmarks/train_model.py
	$(BIN)/python benchmarks/model_size.py
	$(BIN)/python benchmarks/service_latency.py
	$(BIN)/python benchmarks/bentoml_ceiling.py
	$(BIN)/python benchmarks/score_cost.py
	$(BIN)/python benchmarks/batch_scoring.py

clean:
	rm -rf $(VENV) data logs mlruns/mlflow.db mlruns/artifacts vsv.db test-artifacts .pytest_cache
