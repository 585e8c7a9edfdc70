# The two commands of the README: `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bubblewrap lint contracts typecheck unit integration bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cody demo

test: $(STAMP) node_modules/.installed bubblewrap lint contracts typecheck
	$(BIN)/pytest

# The sandbox tests run repository code under bubblewrap: install it where it is missing and
# apt can (as root on Debian, as CI runs); elsewhere the tests that need it say why they skip.
bubblewrap:
	@if command -v bwrap >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y -qq bubblewrap >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null; }; \
	else echo "bubblewrap is missing and cannot be installed here (not root, or no apt-get):" \
		"the bwrap tier's tests will skip"; fi

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch node_modules/.installed

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/hadolint Dockerfile
	$(BIN)/cfn-lint deploy/cloudformation.yaml

contracts: $(STAMP)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

bench: $(STAMP) node_modules/.installed
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/token_cost.py
	$(BIN)/python benchmarks/job_size.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/pr_refresh.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
