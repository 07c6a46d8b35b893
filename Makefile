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

## make lint: every static check CI runs; each step runs even if an earlier one fails, and the
## failed steps are named at the end. Doctests run for the pure packages only (no Django setup).
LINT_PATHS := asbhub tests bench scripts
PURE_PACKAGES := domain geo analysis linkage ingest
# The Django side: mypy with the django-stubs plugin, not strict ([tool.mypy] in pyproject.toml).
MYPY_DJANGO := web records reports store outputs synth demo cli
MYPY_DJANGO_MODULES := analysis_inputs data
MYPY_UNCHECKED :=
# Its own cache: mypy 1.19 replays a module's cached errors even where it is now followed
# silently, so a hand run over asbhub.reports would otherwise fail the next make lint.
MYPY := $(BIN)/mypy --cache-dir .mypy_cache/make-lint
lint: $(STAMP)
	@failed=""; \
	step() { name="$$1"; shift; printf '\n==== %s ====\n' "$$name"; "$$@" || failed="$$failed\n  - $$name"; }; \
	step "ruff check ($(LINT_PATHS))" $(BIN)/ruff check --output-format concise $(LINT_PATHS); \
	step "ruff format --check ($(LINT_PATHS))" $(BIN)/ruff format --check --output-format concise $(LINT_PATHS); \
	step "mypy, strict on asbhub.{$(shell echo $(PURE_PACKAGES) | tr ' ' ',')}" \
		$(MYPY) $(addprefix -p asbhub.,$(PURE_PACKAGES)); \
	step "mypy, django-stubs plugin on asbhub.{$(shell echo $(MYPY_DJANGO) | tr ' ' ',')}, analysis_inputs, data" \
		$(MYPY) $(addprefix -p asbhub.,$(MYPY_DJANGO)) $(addprefix -m asbhub.,$(MYPY_DJANGO_MODULES)); \
	$(if $(MYPY_UNCHECKED),echo "(not yet type-checked by make lint: $(MYPY_UNCHECKED))";) \
	step "lint-imports (contracts in pyproject.toml)" $(BIN)/lint-imports --no-cache; \
	step "private names (scripts/check_private_imports.py)" $(BIN)/python scripts/check_private_imports.py asbhub; \
	step "doctests of the pure packages" $(BIN)/python -m pytest -q -p no:cacheprovider \
		--doctest-modules $(addprefix asbhub/,$(PURE_PACKAGES)); \
	if [ -n "$$failed" ]; then printf '\nmake lint FAILED:%b\n' "$$failed"; exit 1; fi; \
	printf '\nmake lint: all checks passed\n'

clean:
	rm -rf $(VENV) var .pytest_cache
