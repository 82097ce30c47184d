# The front door. `make run` and `make test` work on a fresh machine: each sets up what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench doctor clean

install: $(STAMP)

# Builds llama-cpp-python from source the first time (about 5 minutes on 2 cores; pip caches it).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(PY) -m pip install --quiet -e '.[dev,local]'
	touch $(STAMP)

run: install
	$(PY) -m zeke_ls doctor --no-probe --config examples/zeke.toml

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: install
	$(PY) bench/bench_startup.py

doctor: install
	$(PY) -m zeke_ls doctor

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
