# pharma-kit: two commands do everything.
#   make course   set up (venv, install, data) and run every lesson headless; HTML in build/html/index.html
#   make test     set up and run the whole test suite (unit, exercises, notebooks via nbval, Airflow, warehouse on
#                 SQLite, PostgreSQL and MariaDB, the learner's path in a real Chromium)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export PYTHONHASHSEED := 0
export IPYKERNEL_CELL_NAME := <IPY-INPUT>
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv install data course test test-fast lab exercises store bench clean

help:
	@echo "make course     set up and run the whole course headless (HTML in build/html/index.html)"
	@echo "make test       set up and run every test"
	@echo "make lab        open JupyterLab on the course"
	@echo "make exercises  regenerate notebooks/ from solutions/ (keeps your edits unless FORCE=1)"
	@echo "make store      re-execute solutions/ and store their outputs (maintainers)"
	@echo "make bench      run the benchmarks (minutes; prints ratios against baselines)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "pharma-kit needs Python 3.11+, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[all]'
	@touch $(STAMP)

venv install: $(STAMP)

data: $(STAMP)
	$(BIN)/pharma-kit data --verify-sample

course: data
	$(BIN)/python -m pharma_kit.course run

test: $(STAMP)
	bash .ci/with_postgres.sh bash .ci/with_mariadb.sh $(BIN)/python -m pytest --cov=pharma_kit --cov-report=term --cov-fail-under=90 $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -o addopts="-p no:cacheprovider" tests $(PYTEST_ARGS)

# LAB_ARGS passes options through, e.g. make lab LAB_ARGS="--port 8899 --no-browser --IdentityProvider.token=abc"
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# refuses to overwrite a learner notebook you edited; FORCE=1 replaces it
exercises: $(STAMP)
	$(BIN)/python -m pharma_kit.course exercises $(if $(FORCE),--force)

store: $(STAMP)
	$(BIN)/python -m pharma_kit.course store solutions/[0-9][0-9]_*.ipynb
	$(BIN)/python -m pharma_kit.course exercises

bench: $(STAMP)
	@failed=""; for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "targets missed in:$$failed"; exit 1; else echo "all benchmark targets met"; fi

clean:
	rm -rf build .pytest_cache .hypothesis .coverage
