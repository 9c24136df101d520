# Two commands on a fresh machine: `make demo` (the main job) and `make test` (the whole suite;
# `make test-fast` skips the slow training tests while you work).
# Both create .venv when missing and are quick when it is already set up.
#
# torch is installed first and pinned: on this CPU-only machine pip takes the CPU build of
# torch==2.13.0 from local disk; on a machine with CUDA, the same command takes the CUDA build
# from PyPI. Override with `make TORCH_SPEC="torch==X.Y" TORCH_ARGS="--index-url <your wheel index>"`.

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_ARGS ?=
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: demo test test-fast install install-dev clean bench

$(VENV)/.torch:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "$(TORCH_SPEC)" $(TORCH_ARGS)
	touch $@

$(VENV)/.installed: $(VENV)/.torch pyproject.toml
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.torch pyproject.toml
	$(PIP) install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(VENV)/bin/habits run configs/demo.yaml

test: $(VENV)/.installed-dev
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# Everything but the tests marked slow (tiny-model training, whole pipelines): about half the time.
test-fast: $(VENV)/.installed-dev
	$(VENV)/bin/python -m pytest -m "not slow" $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	$(VENV)/bin/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis
