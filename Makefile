# The two commands: `make demo` and `make test`. Each creates .venv when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := --quiet --disable-pip-version-check

.PHONY: demo test lint typecheck docs docs-build pytest dist bench matrix clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall when pyproject.toml changes.
$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP) -e '.[emulator,fast]'
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python $(VENV)/apscheduler4
	$(BIN)/python -m pip install $(PIP) -e '.[test]'
	@touch $@ $(VENV)/.demo-installed

# APScheduler 4 (a pre-release) cannot share the venv with APScheduler 3: the test of its
# recipe (docs/examples/run_interval_aps4.py) runs it with this directory on PYTHONPATH.
$(VENV)/apscheduler4: | $(BIN)/python
	rm -rf $@.tmp
	$(BIN)/python -m pip install $(PIP) --target $@.tmp 'apscheduler==4.0.0a6'
	mv $@.tmp $@

demo: $(VENV)/.demo-installed
	$(BIN)/dataflow-async demo

test: lint typecheck docs-build pytest dist

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy --strict dataflow_async docs/examples tests/typecheck

# The documentation site, built strictly (a broken link or reference fails) into .venv/site.
# NO_MKDOCS_2_WARNING: mkdocs-material prints an end-of-life notice about MkDocs 2 on each run.
# Not --quiet: with it, mkdocs stops counting warnings and --strict lets them through; the
# INFO lines are filtered out instead, so that only warnings and errors are shown.
docs-build: $(VENV)/.test-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(VENV)/site \
		> $(VENV)/docs-build.log 2>&1; status=$$?; grep -v '^INFO' $(VENV)/docs-build.log; \
		exit $$status

# Build the site, then serve it on http://127.0.0.1:8000 with live reload (Ctrl+C stops).
DOCS_ADDR ?= 127.0.0.1:8000
docs: docs-build
	@echo "Site built in $(VENV)/site; serving it on http://$(DOCS_ADDR)/"
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr $(DOCS_ADDR)

pytest: $(VENV)/.test-installed
	$(BIN)/pytest

# Build the wheel and the sdist, then install each in a fresh venv and use it.
dist: $(VENV)/.test-installed
	rm -rf dist $(VENV)/dist-check
	$(BIN)/python -m build --outdir dist . > $(VENV)/build.log 2>&1 || (cat $(VENV)/build.log; exit 1)
	for artifact in dist/*.whl dist/*.tar.gz; do \
		rm -rf $(VENV)/dist-check && $(PYTHON) -m venv $(VENV)/dist-check && \
		$(VENV)/dist-check/bin/python -m pip install $(PIP) "$$artifact" && \
		(cd /tmp && $(CURDIR)/$(VENV)/dist-check/bin/python -c 'import dataflow_async, dataflow_async.emulator; from dataflow_async import DataFlowClient, Job; print("installed", dataflow_async.__version__, "from", dataflow_async.__file__)') && \
		$(VENV)/dist-check/bin/dataflow-async --version || exit 1; \
	done
	rm -rf $(VENV)/dist-check

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/bench_jobs.py

# The release matrix (noxfile.py): the suite on every supported Python this machine has, with
# the lowest declared dependency versions, then with the newest and without orjson. Slow (about
# 20 minutes on 2 cores); not part of `make test`. Pythons under pyenv are made visible to nox.
PYENV_ROOT ?= $(HOME)/.pyenv
$(VENV)/.nox-installed: | $(VENV)/.test-installed
	$(BIN)/python -m pip install $(PIP) 'nox>=2024.10.9'
	@touch $@

matrix: $(VENV)/.nox-installed
	PATH="$$(ls -d $(PYENV_ROOT)/versions/3.*/bin 2>/dev/null | sort -rV | tr '\n' ':')$$PATH" \
		$(BIN)/nox --no-color $(NOXFLAGS)

clean:
	rm -rf $(VENV) .nox .pytest_cache .mypy_cache .ruff_cache build dist site
