# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Run history, schedules and sensors of `make run`/`make ui` persist here (tests use their own).
DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: run test lint ui lock sample clean

# The environment is rebuilt whenever the lock or the project metadata changes.
$(BIN)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked environment into $(VENV) (first run takes a few minutes)..."
	@( $(BIN)/python -m pip install --upgrade pip \
	  && $(BIN)/python -m pip install -r requirements.lock \
	  && $(BIN)/python -m pip install --no-deps -e . ) >$(VENV)/install.log 2>&1 \
	  || { tail -n 30 $(VENV)/install.log; echo "Install failed; full log in $(VENV)/install.log"; exit 1; }
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster.yaml $@

run: $(BIN)/.installed $(DAGSTER_HOME)/dagster.yaml  ## load the bundled sample, compute the marts, write the reports
	@DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/partner-reports run

test: $(BIN)/.installed  ## the whole test suite
	@env -u DAGSTER_HOME $(BIN)/python -m pytest -q

# ruff (format and lint, settings in pyproject.toml) on the Python; sqlfluff (.sqlfluff) on
# the staging queries as the load runs them and on the macro files.
lint: $(BIN)/.installed  ## check formatting and lint the Python and the SQL
	@$(BIN)/ruff format --check --quiet . || { echo "ruff format: the files above need \`$(BIN)/ruff format .\`"; exit 1; }
	@$(BIN)/ruff check --quiet .
	@rm -rf .lint && $(BIN)/python -m pipelines.schema --write-sql .lint/staging >/dev/null
	@$(BIN)/sqlfluff lint --config .sqlfluff .lint/staging sql/staging/_macros.sql sql/staging/_fx.sql \
	  && rm -rf .lint
	@echo "lint: ruff and sqlfluff found nothing"

ui: $(BIN)/.installed $(DAGSTER_HOME)/dagster.yaml  ## the Dagster UI on http://127.0.0.1:3000
	@DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -h 127.0.0.1 -p 3000  # code location from [tool.dagster] in pyproject.toml

sample: $(BIN)/.installed  ## regenerate the bundled sample package (deterministic)
	@$(BIN)/python -m pipelines.sample --out data/sample

lock:  ## re-resolve requirements.lock from pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet pip-tools
	@$(BIN)/pip-compile -q --extra test --extra lint --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) data/warehouse.duckdb* reports .dagster_home .lint
