# Wangge: two commands. `make demo` runs the platform on SQLite with a demo
# city; `make test` runs every test (SQLite, then PostgreSQL).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
WANGGE_TEST_POSTGRES ?= postgres://127.0.0.1:5432/postgres
export WANGGE_TEST_POSTGRES
SYSTEM_PACKAGES := chromium fonts-noto-cjk libharfbuzz-subset0 pgbouncer
PYTEST_WORKERS ?= 2

.PHONY: demo test setup sysdeps serve lint test-sqlite test-postgres bench bench-quick soak clean

demo: setup
	$(BIN)/wangge demo
	$(BIN)/wangge serve

test: setup sysdeps lint test-sqlite test-postgres

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages the browser tests need, installed only where missing.
sysdeps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

lint:
	$(BIN)/ruff check src tests bench

test-sqlite:
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q --durations=15

# PostgreSQL: runs when one answers at WANGGE_TEST_POSTGRES; with
# WANGGE_REQUIRE_POSTGRES=1 (as in CI) a missing server fails the run.
test-postgres:
	@if $(BIN)/python -c "import psycopg,os; psycopg.connect(os.environ['WANGGE_TEST_POSTGRES'], connect_timeout=3).close()" 2>/dev/null; then \
	  WANGGE_TEST_DATABASE_URL=$(WANGGE_TEST_POSTGRES) $(BIN)/pytest -n $(PYTEST_WORKERS) -q --durations=15; \
	elif [ "$$WANGGE_REQUIRE_POSTGRES" = 1 ]; then \
	  echo "PostgreSQL does not answer at $(WANGGE_TEST_POSTGRES), and it is required here"; exit 1; \
	else \
	  echo "PostgreSQL does not answer at $(WANGGE_TEST_POSTGRES): PostgreSQL tests skipped"; \
	fi

serve: setup
	$(BIN)/wangge serve

# Benchmarks (not part of `make test`): every bench/*.py on SQLite and
# PostgreSQL, the benchmark city built once and reused; summaries in
# bench/results/<date>-<backend>.json, regressions > 30% printed loudly.
# `make bench-quick` checks the scripts with small sizes (results untouched).
# The long checks (docs/security.md): schemathesis with 40 examples per API
# operation and role (3 in `make test`), SQLite then PostgreSQL when it
# answers; each run bounded to 10 minutes; then the 8-minute soak.
soak: setup
	WANGGE_FUZZ_EXAMPLES=40 timeout 600 $(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:logging tests/test_api_fuzz.py
	@if $(BIN)/python -c "import psycopg,os; psycopg.connect(os.environ['WANGGE_TEST_POSTGRES'], connect_timeout=3).close()" 2>/dev/null; then \
	  WANGGE_TEST_DATABASE_URL=$(WANGGE_TEST_POSTGRES) WANGGE_FUZZ_EXAMPLES=40 timeout 600 $(BIN)/pytest -n $(PYTEST_WORKERS) -q -p no:logging tests/test_api_fuzz.py; \
	fi
	@# The soak (bench/soak.py): 8 minutes of steady intake and reads against
	@# granian + Huey on loopback, PostgreSQL when it answers (else SQLite);
	@# fails on any error or a memory / latency trend.
	@if $(BIN)/python -c "import psycopg,os; psycopg.connect(os.environ['WANGGE_TEST_POSTGRES'], connect_timeout=3).close()" 2>/dev/null; then \
	  timeout 660 $(BIN)/python bench/soak.py --backend postgres --minutes 8; \
	else \
	  timeout 660 $(BIN)/python bench/soak.py --backend sqlite --minutes 8; \
	fi

bench: setup
	$(BIN)/python bench/run.py

bench-quick: setup
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) node_modules var
