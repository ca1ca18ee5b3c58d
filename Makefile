# The two commands a newcomer needs:  make demo  (the main job)  and  make test  (the suite).
# Both create .venv and install the project into it on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck check bench-ingest clean chromium

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	@rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(PY) examples/demo.py

# One worker per core (at most 4), each given whole test files so a module's fixtures are
# built once; run it serially with  make test PYTEST_ARGS="-n 0".
test: $(STAMP) chromium
	@$(PY) tests/postgres_notice.py
	$(PY) -m pytest -n auto --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

# The browser suite (tests/browser) drives Debian's chromium: installed here when root can,
# else the command is printed and those tests skip with the same notice (fail in CI).
CHROMIUM ?= $(or $(APPEVENTS_CHROMIUM),/usr/bin/chromium)
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y chromium || { apt-get update && apt-get install -y chromium; } || \
	      echo "NOTICE: could not install chromium: the browser tests will be skipped"; \
	  else \
	    echo "NOTICE: no Chromium at $(CHROMIUM): run  sudo apt-get install -y chromium  (or set APPEVENTS_CHROMIUM) for the browser tests"; \
	  fi; }

lint: $(STAMP)
	$(PY) -m ruff check src tests examples benchmarks scripts
	$(PY) -m ruff format --check src tests examples benchmarks scripts

typecheck: $(STAMP)
	$(PY) -m mypy

check: lint typecheck test

bench-ingest: $(STAMP)
	$(PY) benchmarks/ingest/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
