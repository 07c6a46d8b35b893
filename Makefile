# The two commands that matter: `make demo` and `make test`. Both set everything up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASBHUB_DEMO_DB ?= var/demo.sqlite3

.PHONY: install demo test test-fast bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,postgres,linkage,pdf]'
	touch $(STAMP)

install: $(STAMP)

## make demo: load the bundled real Derbyshire sample into SQLite and serve http://127.0.0.1:8000
demo: $(STAMP)
	mkdir -p var
	$(BIN)/asbhub demo --db sqlite:///$(abspath $(ASBHUB_DEMO_DB))

## make test: the whole suite, with a throwaway PostgreSQL server started for it
test: $(STAMP)
	bash scripts/system-packages.sh
	bash scripts/with-postgres.sh $(BIN)/python -m pytest -q

## make test-fast: the suite on SQLite only, without PostgreSQL or the browser tests
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not postgres and not browser"

## make bench: speed goals from the issues, as ratios against named baselines
bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check asbhub tests bench

clean:
	rm -rf $(VENV) var .pytest_cache
