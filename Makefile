# Two commands on a fresh machine: `make demo` (the main job) and `make test` (the whole suite;
# `make test-fast` skips the slow training tests while you work).
# Both create .venv when missing and are quick when it is already set up.
#
# torch is installed first and pinned: on this CPU-only machine pip takes the CPU build of
# torch==2.13.0 from local disk; on a machine with CUDA, the same command takes the CUDA build
# from PyPI. Override with `make TORCH_SPEC="torch==X.Y" TORCH_ARGS="--index-url <your wheel index>"`.
#
# Everything else comes from the lock, requirements/cpu.lock: the exact versions the test suite
# passed with (runtime, judge extra and test tools), so a fresh clone next month installs what CI
# tested. `make lock` refreshes it (docs/install.md says when and how).

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_ARGS ?=
LOCK ?= requirements/cpu.lock
LOCK_VENV ?= /tmp/habits-lock-venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: demo test test-fast install install-dev lock clean bench

$(VENV)/.torch:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "$(TORCH_SPEC)" $(TORCH_ARGS)
	touch $@

# The lock holds the test tools too: `make demo` and `make test` get one and the same environment.
$(VENV)/.installed: $(VENV)/.torch pyproject.toml $(LOCK)
	$(PIP) install -q -r $(LOCK)
	$(PIP) install -q --no-deps -e .
	$(PIP) check
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/habits run configs/demo.yaml

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# Everything but the tests marked slow (tiny-model training, whole pipelines): about half the time.
test-fast: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m "not slow" $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(VENV)/bin/python benchmarks/run_all.py

# Resolve pyproject.toml's ranges afresh (newest allowed releases) in a throwaway venv and freeze
# the result. torch is left out: the Makefile installs it first (TORCH_SPEC), CPU or CUDA build.
lock:
	rm -rf $(LOCK_VENV) build
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install -q "$(TORCH_SPEC)" $(TORCH_ARGS)
	$(LOCK_VENV)/bin/python -m pip install -q ".[dev]"
	mkdir -p $(dir $(LOCK))
	{ echo "# The CPU stack habits is tested with: \`make lock\` wrote it (docs/install.md); do not edit by hand."; \
	  echo "# $(TORCH_SPEC) is installed before this file (Makefile, TORCH_SPEC); Python $$($(LOCK_VENV)/bin/python -c 'import platform; print(platform.python_version())')."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude habits --exclude torch; } > $(LOCK)
	rm -rf $(LOCK_VENV) build
	@echo "wrote $(LOCK); run make clean test to check it"

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis
