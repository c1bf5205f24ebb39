# outreach-agents — two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: demo test setup lint typecheck pytest pytest-fast chromium migration clean

setup: $(STAMP) chromium

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python -e ".[local,dev]"
	@touch $@

chromium: $(STAMP)
	@bash .ci/ensure-chromium $(BIN)

lint: $(STAMP)
	$(BIN)/ruff check agents tools memory api evals prompts tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy agents tools memory api evals prompts

pytest: setup
	$(BIN)/pytest

test: setup lint typecheck pytest

demo: setup
	$(BIN)/python -m api.demo

migration: $(STAMP)
	$(BIN)/python -m tools.crm.migrate_tool

clean:
	rm -rf $(VENV) .outreach .mypy_cache .ruff_cache
