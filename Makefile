# dscourse: every command a learner, an instructor or CI needs.
#   make lab    set up .venv (first time only) and open JupyterLab on the course
#   make test   set up .venv, then every test and every notebook (what CI runs)
# More: make notebooks | bench | soak | lint | clean   (see README.md)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBVAL  := --nbval --nbval-current-env --nbval-cell-timeout=300 --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:randomly

.PHONY: setup lab test unit nbtest lint notebooks bench soak clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "dscourse needs Python 3.10 or newer (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

lab: setup
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb

test: setup lint unit nbtest

lint: setup
	$(BIN)/ruff check dscourse tests benchmarks

unit: setup
	$(BIN)/pytest -q tests

nbtest: setup
	$(BIN)/pytest -q $(NBVAL) notebooks

# Re-execute every notebook and store its outputs (after changing the package).
notebooks: setup
	$(BIN)/python -m dscourse.devtools.notebooks execute notebooks/*.ipynb

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench_simulator.py

soak: setup
	DSCOURSE_SOAK=1 $(BIN)/pytest -q -m sweep tests

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache *.egg-info
