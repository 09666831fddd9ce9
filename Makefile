# Two commands on a fresh machine:
#   make run   — set up .venv, install everything, prepare offline assets, start the app on :8501
#   make test  — the same setup, then lint and the whole test suite (unit + AppTest + browser)
# The one place the Python version is named (pyenv reads the same file; README and Community Cloud follow it).
PYVER   := $(shell cat .python-version)
PY      ?= python$(PYVER)
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
export PIP_DISABLE_PIP_VERSION_CHECK=1

# pip-compile's flags: every package, transitive ones included, pinned with its hashes; no local index paths
LOCK    := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links \
           --no-emit-index-url $(LOCKFLAGS)

.PHONY: run test setup apt assets lint lock bench mutation clean

run: setup
	$(BIN)/streamlit run Home.py --server.address 127.0.0.1 --server.port 8501

test: setup $(DEVSTAMP)
	$(BIN)/python -m pip check
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

setup: apt $(STAMP) assets

# Installs from the locks (exact versions and hashes) whenever one changes (make compares timestamps).
$(STAMP): requirements.txt .python-version
	@$(PY) -c 'import sys; v = "$(PYVER)"; sys.exit(0 if "%d.%d" % sys.version_info[:2] == v else \
	  f"Python {v} is needed (.python-version), {sys.version.split()[0]} was found: install it or run make PY=python{v}")'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements.txt
	touch $(STAMP)

# Test tools live apart so the app's own lock stays what Community Cloud installs. pip-sync then removes
# whatever neither lock names (a package dropped from a lock, something installed by hand).
$(DEVSTAMP): requirements-dev.txt $(STAMP)
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements-dev.txt
	$(BIN)/pip-sync -q requirements.txt requirements-dev.txt
	touch $(DEVSTAMP)

# Re-resolve the locks from requirements*.in after editing them; `make lock LOCKFLAGS=--upgrade` moves every
# package to its newest allowed release on purpose. Commit the .in and .txt files together.
lock: $(DEVSTAMP)
	$(LOCK) -o requirements.txt requirements.in
	$(LOCK) -o requirements-dev.txt requirements-dev.in

apt:
	@bash scripts/apt-deps.sh

assets: $(STAMP)
	$(BIN)/python -m core.assets prepare

lint: $(DEVSTAMP)
	$(BIN)/ruff check .

# Every script in bench/ (hours on 2 cores); their output becomes docs/benchmarks.md.
bench: setup $(DEVSTAMP)
	$(BIN)/python scripts/bench_report.py

# Test strength (not part of test): share of mutants each core module's tests kill; CPU-heavy (an hour or more).
mutation: setup $(DEVSTAMP)
	$(BIN)/python bench/mutation.py

clean:
	rm -rf $(VENV) build .pytest_cache
