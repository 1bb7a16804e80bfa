# The README's commands. `make run` and `make test` work on a fresh machine with Python 3.11:
# they create .venv, install the locked dependencies, and build what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
DB := $(or $(OBSERVATOIRE_DB),data/observatoire.duckdb)
PORT ?= 8501

.PHONY: run test lint format bench bench-smoke install warehouse clean-db lock system-deps test-without-chromium \
	cluster cluster-stop cluster-status test-cluster bench-cluster

install: $(INSTALLED)

# Debian's Chromium and fonts (image exports, browser tests) when this machine can install
# them (root with apt-get); otherwise one line says what is disabled, and the rest works.
system-deps:
	@scripts/system-deps.sh

# Reinstall only when the lock file changes.
$(INSTALLED): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

# Build the warehouse with demonstration data if it is missing; otherwise upgrade its schema
# and reference data, leaving the user's loads (and the choice of demo data) alone.
warehouse: install
	@if [ -f "$(DB)" ]; then $(PY) -m etl migrate; else $(PY) -m etl init; fi

run: system-deps warehouse
	$(PY) -m webapp.serve --server.port $(PORT) --server.address 0.0.0.0

test: system-deps install
	$(PY) -m pytest

# Several servers on this machine (README, « Passer à l'échelle »): PostgreSQL (the lake's
# catalog), REPLICAS Streamlit servers and HAProxy in front, on the demonstration warehouse
# in a DuckLake; data kept in data/cluster/ across cluster-stop.
REPLICAS ?= 3
cluster: system-deps install
	@REPLICAS=$(REPLICAS) PY=$(PY) scripts/cluster.sh start

cluster-stop:
	@scripts/cluster.sh stop

cluster-status:
	@scripts/cluster.sh status || true

# The cluster's end-to-end test (tests/cluster/): its own PostgreSQL, replicas and HAProxy on
# free ports, two to four minutes. CI runs it after `make test`.
test-cluster: system-deps install
	OBSERVATOIRE_CLUSTER_TEST=1 $(PY) -m pytest -m cluster tests/cluster $(ARGS)

# The suite as on a machine without Chromium (hidden from the PATH): browser and image tests
# skip, everything else passes. ARGS go to pytest, e.g. ARGS='-m "not browser" -n 2'.
test-without-chromium: install
	scripts/test-without-chromium.sh $(ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Scale benchmarks (bench/README.md, « Échelle »): 10 000 and 1 000 000 records;
# SCALE=full adds 10 000 000 (about half an hour more, 2 Gio of disk).
bench: install
	$(PY) bench/run.py $(if $(filter full,$(SCALE)),--full)

# Readers served per second through HAProxy with 1 and 3 replicas (bench/README.md,
# « Plusieurs serveurs »); starts and stops its own cluster, about two minutes.
bench-cluster: system-deps install
	$(PY) bench/bench_cluster.py

# Every benchmark step once on 3 000 records (one to two minutes): proves they still run,
# results in a temporary folder, bench/README.md untouched. CI runs it after the tests.
bench-smoke: install
	$(PY) bench/run.py --smoke

clean-db:
	rm -f "$(DB)" "$(DB).wal"

# Regenerate the lock file from pyproject.toml (needs network access to the package index).
lock:
	$(PY) -m pip install --quiet uv
	UV_PYTHON_DOWNLOADS=never $(VENV)/bin/uv pip compile pyproject.toml --extra dev \
		--python-version 3.11 -o requirements.lock
