# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PG := $(VENV)/bin/polegraph

.PHONY: help env demo test lint typecheck unit stack-up stack-down bench chart

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

env:  ## create (once, cached outside the clone) the Python environment and link it as .venv
	@scripts/bootstrap >/dev/null

DEMO_DIR ?= demo-data

# The demo serves the API in development mode (GraphiQL on) with an HS256 secret made once per clone.
DEMO_SECRET := .demo-jwt-secret
DEMO_ENV = POLEGRAPH_ENVIRONMENT=development POLEGRAPH_JWT_SECRET=$$(cat $(DEMO_SECRET))

demo: env  ## install, start the engines, load the synthetic multi-force scenario, serve the API
	$(PG) stack up
	$(PG) init
	$(PG) demo generate --out $(DEMO_DIR)
	$(PG) load-plan $(DEMO_DIR)
	$(PG) stack status
	@test -s $(DEMO_SECRET) || (umask 077 && $(VENV)/bin/python -c 'import secrets; print(secrets.token_hex(32))' > $(DEMO_SECRET))
	@echo "A token for GraphiQL (http://127.0.0.1:8000/graphql, header Authorization: Bearer <token>, X-Purpose: <case>):"
	@forces=$$($(VENV)/bin/python -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["forces"]))' $(DEMO_DIR)/manifest.json); \
	  $(DEMO_ENV) $(PG) token --user demo.analyst --force $${forces%%,*} --roles analyst,investigator --forces $$forces
	$(DEMO_ENV) $(PG) serve

test: env lint typecheck  ## the whole check CI runs: ruff, mypy, pytest against the real engines
	$(VENV)/bin/python -m pytest

lint: env  ## ruff
	$(VENV)/bin/python -m ruff check polegraph tests bench
	$(VENV)/bin/python -m ruff format --check polegraph tests bench

typecheck: env  ## mypy --strict on the package
	$(VENV)/bin/python -m mypy

stack-up: env  ## start the local Neo4j and Elasticsearch
	$(PG) stack up

stack-down: env  ## stop them
	$(PG) stack down

bench: env  ## the baseline: raw Neo4j writes, raw ES bulk, raw model encode
	$(PG) stack up
	$(VENV)/bin/python bench/baseline.py

chart:  ## rebuild the link chart (polegraph/api/static/chart) from chart/ (needs node and npm)
	cd chart && npm ci --ignore-scripts --no-audit --no-fund && node build.mjs
