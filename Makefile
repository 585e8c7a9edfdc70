# The two commands of the README: `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint contracts unit integration bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cody demo

test: $(STAMP) node_modules/.installed lint contracts
	$(BIN)/pytest

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch node_modules/.installed

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/hadolint Dockerfile
	$(BIN)/cfn-lint deploy/cloudformation.yaml

contracts: $(STAMP)
	$(BIN)/lint-imports

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
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
