# Two commands are the contract: `make run` (local stack) and `make test` (what CI runs).
# Every target uses the venv's binaries directly, so no activated shell is needed.

VENV   := .venv
BIN    := $(VENV)/bin
PYTHON := $(BIN)/python
# Reinstall whenever pyproject.toml changes: the stamp name carries a hash of it.
PYPROJECT_HASH := $(shell python3 -c "import hashlib; print(hashlib.sha256(open('pyproject.toml', 'rb').read()).hexdigest()[:16])")
STAMP  := $(VENV)/.installed-$(PYPROJECT_HASH)

.DEFAULT_GOAL := help
.PHONY: help install browser run test lint typecheck pytest bench migrate clean clean-data distclean

help:
	@echo "make run        start Temporal dev server + worker + API (state in .data/)"
	@echo "make test       ruff, mypy, pytest (what .ci/run runs)"
	@echo "make bench      run the benchmark (python -m bench \$$BENCH_ARGS, e.g. --quick)"
	@echo "make install    create .venv and install '.[dev]' (only when pyproject changes)"
	@echo "make lint | typecheck | migrate | clean | clean-data | distclean"

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Browser tests drive Debian's Chromium with Playwright (from PyPI, never its own browser
# download). Installed here when absent: CI starts from a bare machine, as root.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; }

run: install
	$(PYTHON) -m devstack

test: install browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# e.g. make bench BENCH_ARGS="--quick" or BENCH_ARGS="-n 500 --concurrency 50"
BENCH_ARGS ?=
bench: install
	$(PYTHON) -m bench $(BENCH_ARGS)

# Alembic to head on DATABASE_URL (the default SQLite file lives in .data/).
migrate: install
	mkdir -p .data
	$(PYTHON) -m rebook.db.migrate

# Caches and build output only; the venv and the dev stack's state are kept.
clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info test-output
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

# Forget local appointments and Temporal history (stop `make run` first).
clean-data:
	rm -rf .data

distclean: clean clean-data
	rm -rf $(VENV)
