# Two commands: `make lab` (set up + open JupyterLab on the embedded workspace) and
# `make test` (set up + run every suite). Each install step lives here, so a fresh clone on a
# fresh machine needs nothing else.

SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
PY := $(BIN)/python
JLPM := $(BIN)/jlpm
CHROMIUM ?= /usr/bin/chromium
LAB_ROOT ?= $(CURDIR)/lab-workspace
LAB_PORT ?= 8888
STAMPS := $(VENV)/.stamps

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
# the frontend build calls `jupyter labextension build`, the UI tests `jupyter lab`
export PATH := $(BIN):$(PATH)
export CHROMIUM_PATH := $(CHROMIUM)

.PHONY: lab test setup system-deps python-deps frontend install pytest pytest-frameworks jest ui-test openapi types bench clean

## ---- the two commands ---------------------------------------------------------------------

lab: setup
	@mkdir -p "$(LAB_ROOT)"
	@cp -rn notebooks/. "$(LAB_ROOT)/" 2>/dev/null || true
	$(BIN)/jupyter lab --ServerApp.root_dir="$(LAB_ROOT)" --ServerApp.ip=127.0.0.1 \
		--ServerApp.port=$(LAB_PORT) --ServerApp.allow_root=True

test: setup
	$(MAKE) pytest jest ui-test

## ---- setup ------------------------------------------------------------------------------------

setup: system-deps install

system-deps: $(STAMPS)/system
$(STAMPS)/system:
	@mkdir -p $(STAMPS)
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "installing chromium (headless browser for the UI tests)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi
	@command -v git >/dev/null || (apt-get update -qq && apt-get install -y -qq git)
	@ldconfig -p | grep -q libgomp.so.1 || (echo "installing libgomp1 (OpenMP for LightGBM, used by AutoML)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgomp1)
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing postgresql (the tests start a throwaway server: tests/postgres_server.py)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	fi
	@touch $@

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel

# Dependencies first (jupyterlab brings jlpm, needed to build the frontend). They include the
# `frameworks` extra (PyTorch, TensorFlow, Keras 3, ONNX Runtime: ~2.4 GB, a minute or two from
# a local wheel cache); torch goes first, pinned to its CPU wheel, so that no resolver run ever
# reaches for a CUDA build (the same pin is in pyproject.toml).
TORCH := torch==2.13.0
python-deps: $(STAMPS)/python-deps
$(STAMPS)/python-deps: pyproject.toml | $(PY)
	@mkdir -p $(STAMPS)
	$(BIN)/pip install -q hatchling hatch-nodejs-version hatch-jupyter-builder editables
	$(BIN)/pip install -q "$(TORCH)"
	$(PY) scripts/requirements.py > $(STAMPS)/requirements.txt
	$(BIN)/pip install -q -r $(STAMPS)/requirements.txt
	@touch $@

$(STAMPS)/node-deps: package.json yarn.lock $(STAMPS)/python-deps
	$(JLPM) install --immutable
	@touch $@

# The labextension is built into jupyter_mlservice/labextension (what `pip install .` ships).
frontend: $(STAMPS)/frontend
$(STAMPS)/frontend: $(STAMPS)/node-deps $(shell find src style schema -type f 2>/dev/null) tsconfig.json
	$(JLPM) build:prod
	@touch $@

install: $(STAMPS)/install
$(STAMPS)/install: $(STAMPS)/frontend $(STAMPS)/python-deps
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/jupyter labextension develop --overwrite . >/dev/null
	$(BIN)/jupyter server extension enable --sys-prefix jupyter_mlservice >/dev/null
	@touch $@

$(STAMPS)/ui-deps: ui-tests/package.json ui-tests/yarn.lock $(STAMPS)/python-deps
	cd ui-tests && $(JLPM) install --immutable
	@touch $@

## ---- suites -----------------------------------------------------------------------------------

# Test files are spread over PYTEST_WORKERS processes (pytest-xdist, a whole file per worker, so a
# module's shared fixtures stay in one process): most tests wait on subprocesses and servers, so
# two workers finish well before one on a 2-core machine. PYTEST_WORKERS=0 runs them in-process.
PYTEST_WORKERS ?= 2
pytest: install
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests

# only the deep learning group (also part of `pytest`): PyTorch, TensorFlow, Keras, ONNX
pytest-frameworks: install
	$(BIN)/pytest -q -m frameworks tests

jest: $(STAMPS)/node-deps
	$(JLPM) check:types
	$(JLPM) test

ui-test: install $(STAMPS)/ui-deps
	cd ui-tests && $(JLPM) playwright test

## ---- maintenance ------------------------------------------------------------------------------

openapi: python-deps
	$(PY) -m jupyter_mlservice.server.openapi
	$(JLPM) gen:types

bench: install $(STAMPS)/bench-deps
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

# wrk: the HTTP load generator of the serving benchmarks (without it they fall back to a Python
# generator that saturates a 2-core machine before the servers do)
$(STAMPS)/bench-deps:
	@mkdir -p $(STAMPS)
	@command -v wrk >/dev/null || (echo "installing wrk (load generator of the serving benchmarks)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	@touch $@

clean:
	rm -rf $(VENV) node_modules ui-tests/node_modules lib jupyter_mlservice/labextension tsconfig.tsbuildinfo
