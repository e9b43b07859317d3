# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help run test lint bench vendor-nhsuk clean

help:
	@echo "make run           start the site on http://127.0.0.1:8000 with demo data (SQLite)"
	@echo "make test          install everything, then lint and run every test on PostgreSQL and Redis"
	@echo "make lint          ruff only"
	@echo "make bench         every page under gunicorn on seed_scale data, plan PDF, reminders, statement import -> docs/benchmarks.md"
	@echo "make vendor-nhsuk  update the vendored NHS.UK frontend (VERSION=x.y.z to change version)"

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh $(PYTEST_ARGS)

lint:
	@bash -c 'source scripts/common.sh && ensure_venv requirements-dev.txt && .venv/bin/ruff check .'

bench:
	@bash scripts/bench.sh

vendor-nhsuk:
	@bash scripts/vendor-nhsuk.sh $(VERSION)

clean:
	rm -rf .venv var staticfiles
