# The front door. `make run` and `make test` work on a fresh machine: each sets up what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install litellm mcp-reference run test lint bench doctor clean

install: $(STAMP)

# llama-cpp-python (the embedded local model) builds from source the first time: about
# 5 minutes on 2 cores, then pip caches the wheel. Portable CPU flags: a native build uses
# AMX tile instructions that virtual machines often forbid, and then crashes on first use.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
		$(PY) -m pip install --quiet -e '.[dev,local]'
	touch $(STAMP)

# The LiteLLM proxy for the gateway interop tests and benchmark, in its own venv: it pins
# older versions of packages that zeke_ls uses (websockets).
litellm: .venv-litellm/.installed
.venv-litellm/.installed:
	test -x .venv-litellm/bin/python || $(PYTHON) -m venv .venv-litellm
	.venv-litellm/bin/python -m pip install --quiet 'litellm[proxy]'
	touch $@

# The reference MCP filesystem server, for the Glyph interoperability test (needs npm).
mcp-reference: .cache/npm/node_modules/.bin/mcp-server-filesystem
.cache/npm/node_modules/.bin/mcp-server-filesystem:
	command -v npm >/dev/null && npm install --silent --no-audit --no-fund --prefix .cache/npm \
		@modelcontextprotocol/server-filesystem || echo "npm missing: the Glyph interop test will skip"

# Interactive Neovim + plugin + daemon in a terminal; a scripted headless session otherwise.
run: install
	$(PY) scripts/demo.py $(ARGS)

test: install litellm mcp-reference
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
