# The two commands of the README are `make demo` and `make test`; both set up a fresh machine.
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: bootstrap demo test test-all test-fast lint unit bench clean

bootstrap:
	./scripts/bootstrap.sh

demo: bootstrap
	$(BIN)/sovmigrate lab demo

lint: bootstrap
	$(BIN)/ruff check sovmigrate tests benchmarks plugins
	$(BIN)/ruff format --check sovmigrate tests benchmarks plugins
	$(BIN)/mypy sovmigrate
	$(BIN)/yamllint -s .
	cd $(CURDIR) && ANSIBLE_CONFIG=$(CURDIR)/ansible.cfg $(BIN)/ansible-lint --profile production -q

unit: bootstrap
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

# Development loop: lint and unit tests only (no lab machine).
test-fast: lint unit

# The suite CI runs: lint, unit, integration (real lab machines) and the end-to-end demo.
test: lint
	$(BIN)/pytest tests -m "not extended" $(PYTEST_ARGS)

# Everything, including the tests CI leaves out for time (every role's molecule scenario).
test-all: lint
	$(BIN)/pytest tests $(PYTEST_ARGS)

bench: bootstrap
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
