# dscourse: every command a learner, an instructor or CI needs.
#   make lab    set up .venv (first time only) and open JupyterLab on the course
#   make test   set up .venv and the test servers, then every test and every notebook (CI runs this)
# More: make notebooks | student | wheelhouse | bench | soak | lint | clean   (see README.md)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= auto
NBVAL  := --nbval --nbval-current-env --nbval-cell-timeout=300 --nbval-sanitize-with tests/nbval_sanitize.cfg
# Real servers the engine labs and the browser test run against (Debian package names).
APT_PACKAGES := redis-server etcd-server zookeeper chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-deps lab test unit nbtest lint notebooks student wheelhouse bench soak clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "dscourse needs Python 3.10 or newer (run: make PYTHON=python3.11 ...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# Installs the Debian packages of the real-server labs when they are missing.
# Elsewhere (macOS, other Linux) it says what to install; those tests then fail with that message.
system-deps:
	@if command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "Installing Debian packages for the engine labs and the browser test:$$missing"; \
	    $(SUDO) apt-get update -q -o DPkg::Lock::Timeout=600 && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
	      --no-install-recommends $$missing; \
	  fi; \
	else \
	  echo "Note: no apt-get here. Install $(APT_PACKAGES) (or their equivalents) for the engine and browser tests."; \
	fi

lab: setup
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb

test: setup system-deps lint unit nbtest

lint: setup
	$(BIN)/ruff check dscourse tests benchmarks

unit: setup
	$(BIN)/pytest -q -n $(JOBS) --dist loadfile tests

# Both copies of the course: the notebooks with solutions, and the student copy.
nbtest: setup student
	$(BIN)/pytest -q -n $(JOBS) --dist loadfile $(NBVAL) notebooks student/notebooks

# The learners' copy: solutions replaced by stubs (see dscourse/devtools/notebooks.py).
student: setup
	$(BIN)/python -m dscourse.devtools.notebooks student notebooks/*.ipynb --out student/notebooks

# Every wheel the course needs, for a workshop room without internet (see README).
wheelhouse: setup
	$(BIN)/python -m pip wheel --quiet --wheel-dir wheelhouse ".[dev]" pip setuptools wheel
	@echo "wheelhouse/ holds $$(ls wheelhouse | wc -l) wheels; install offline with:"
	@echo "  python3 -m venv .venv && .venv/bin/pip install --no-index --find-links wheelhouse -e '.[dev]'"

# Re-execute every notebook and store its outputs (after changing the package).
notebooks: setup
	$(BIN)/python -m dscourse.devtools.notebooks execute notebooks/*.ipynb

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

soak: setup
	DSCOURSE_SOAK=1 $(BIN)/pytest -q -n $(JOBS) -m sweep tests

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache *.egg-info artifacts
