# Everything bootstraps from python3 (3.11+) and make: uv is installed if missing, then the
# locked environment is synced into .venv.
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.venv-uv/bin/uv)
VENV := $(CURDIR)/.venv
RUN := $(VENV)/bin
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: setup demo test lint format bench soak mutate clean

$(UV):
	$(PYTHON) -m venv $(CURDIR)/.venv-uv
	$(CURDIR)/.venv-uv/bin/pip install --quiet uv

# Bytecode compiled once here: uv does not by default, and without it every process (the demo,
# its Prefect server, each test's child) compiles its imports again (seconds each), or every run
# when PYTHONDONTWRITEBYTECODE is set.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

setup: $(VENV)/.synced

demo: setup
	$(RUN)/dora demo

test: setup lint
	$(RUN)/pytest -q -m "not slow and not sql_mutation"

lint: setup
	$(RUN)/ruff check .
	$(RUN)/ruff format --check .

format: setup
	$(RUN)/ruff format .
	$(RUN)/ruff check --fix .

bench: setup
	$(RUN)/python -m bench

soak: setup
	$(RUN)/pytest -q -m slow

# Mutation testing (an hour or more on two cores, niced; not part of `make test` or CI): mutmut
# over the Python modules configured in pyproject.toml, their score, then the written list of SQL
# mutations (tests/models/sql_mutations.py), each of which some model test must catch.
mutate: setup
	nice -n 10 $(RUN)/mutmut run --max-children 2
	$(RUN)/python -m tests.mutation_score
	nice -n 10 $(RUN)/pytest -q -rf -m sql_mutation tests/models/test_sql_mutations.py

clean:
	rm -rf $(VENV) $(CURDIR)/.venv-uv .pytest_cache .ruff_cache mutants
