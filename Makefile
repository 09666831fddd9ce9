# Two commands on a fresh machine:
#   make run   — set up .venv, install everything, prepare offline assets, start the app on :8501
#   make test  — the same setup, then lint and the whole test suite (unit + AppTest + browser)
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: run test setup apt assets lint bench mutation clean

run: setup
	$(BIN)/streamlit run Home.py --server.address 127.0.0.1 --server.port 8501

test: setup $(DEVSTAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

setup: apt $(STAMP) assets

# Re-installs whenever a requirements file changes (make compares timestamps).
$(STAMP): requirements.txt requirements-nodeps.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

# Test tools live apart so the app's own requirements stay what Community Cloud installs.
$(DEVSTAMP): requirements-dev.txt $(STAMP)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(DEVSTAMP)

apt:
	@bash scripts/apt-deps.sh

assets: $(STAMP)
	$(BIN)/python -m core.assets prepare

lint: $(DEVSTAMP)
	$(BIN)/ruff check .

bench: setup $(DEVSTAMP)
	for f in bench/*.py; do [ $$f = bench/mutation.py ] && continue; echo "== $$f"; $(BIN)/python $$f || exit 1; done

# Test strength (not part of test): share of mutants each core module's tests kill; CPU-heavy (an hour or more).
mutation: setup $(DEVSTAMP)
	$(BIN)/python bench/mutation.py

clean:
	rm -rf $(VENV) build .pytest_cache
