#!/usr/bin/env bash
# make test: installs what the tests need, checks the real services, then runs
# ruff, Django's checks, the migration check, the whole pytest suite on
# PostgreSQL, and a smoke run of the SQLite path that `make run` uses.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/phb}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
# Production-like settings (DEBUG off) with what a test run on plain HTTP needs.
export DEBUG=false
export SECRET_KEY="${SECRET_KEY:-test-only-secret-key-not-for-production-0123456789abcdef}"
export ALLOWED_HOSTS="127.0.0.1,localhost,testserver"
export SECURE_SSL_REDIRECT=false SECURE_COOKIES=false STATIC_MANIFEST=false SECURE_HSTS_SECONDS=0
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# Tasks queued by tests go to a queue of their own, never to the one `make run`'s worker reads.
export CELERY_QUEUE=phb-tests

ensure_venv requirements-dev.txt

# Debian's Chromium for the browser tests (never a downloaded browser build).
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "Installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null \
      || fail "apt-get could not install chromium."
  else
    fail "Chromium is missing at $CHROMIUM. Install Debian's chromium package (as root: apt-get install chromium)."
  fi
fi

# PostgreSQL: start the local cluster if it is installed but stopped.
pg_answers() {
  .venv/bin/python - <<'PY' >/dev/null 2>&1
import os, sys, dj_database_url, psycopg2
c = dj_database_url.parse(os.environ["DATABASE_URL"])
psycopg2.connect(host=c["HOST"] or None, port=c["PORT"] or None, user=c["USER"], password=c["PASSWORD"] or None,
                 dbname="postgres", connect_timeout=3).close()
PY
}
if ! pg_answers; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    say "PostgreSQL is not answering: starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 20); do pg_answers && break; sleep 0.5; done
  fi
  pg_answers || fail "PostgreSQL does not answer at $DATABASE_URL. Install and start PostgreSQL (Debian: apt-get install postgresql), or set DATABASE_URL."
fi
# The database itself (pytest makes its own test_ copy; migrate checks need the original).
.venv/bin/python - <<'PY' || fail "Could not create the database named in $DATABASE_URL."
import os, dj_database_url, psycopg2
c = dj_database_url.parse(os.environ["DATABASE_URL"])
conn = psycopg2.connect(host=c["HOST"] or None, port=c["PORT"] or None, user=c["USER"], password=c["PASSWORD"] or None,
                        dbname="postgres", connect_timeout=3)
conn.autocommit = True
with conn.cursor() as cursor:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [c["NAME"]])
    if cursor.fetchone() is None:
        cursor.execute(f'CREATE DATABASE "{c["NAME"]}"')
conn.close()
PY

# The two database roles production uses (README, "Database roles"): an owner that migrates and an
# application role with only the rights the service needs. The tests run as the superuser in
# DATABASE_URL; phb/tests/test_audit_database.py gives the application role its rights in the test
# database (manage.py grant_app_role) and connects as it to prove what it cannot do to the audit trail.
export PHB_TEST_OWNER_ROLE="${PHB_TEST_OWNER_ROLE:-phb_owner}" PHB_TEST_APP_ROLE="${PHB_TEST_APP_ROLE:-phb_app}"
export PHB_TEST_APP_PASSWORD="${PHB_TEST_APP_PASSWORD:-phb-app-test-only}"
.venv/bin/python - <<'PY' || fail "Could not create the database roles $PHB_TEST_OWNER_ROLE and $PHB_TEST_APP_ROLE (the user in DATABASE_URL must be allowed to CREATE ROLE)."
import os, dj_database_url, psycopg2
from psycopg2 import sql
c = dj_database_url.parse(os.environ["DATABASE_URL"])
conn = psycopg2.connect(host=c["HOST"] or None, port=c["PORT"] or None, user=c["USER"], password=c["PASSWORD"] or None,
                        dbname="postgres", connect_timeout=3)
conn.autocommit = True
with conn.cursor() as cursor:
    owner, app = os.environ["PHB_TEST_OWNER_ROLE"], os.environ["PHB_TEST_APP_ROLE"]
    for role, options in ((owner, "NOLOGIN"), (app, "LOGIN")):
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE ROLE {} " + options).format(sql.Identifier(role)))
    cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(app)), [os.environ["PHB_TEST_APP_PASSWORD"]])
conn.close()
PY

# Redis: start the local server if it is installed but stopped.
if ! redis_answers "$REDIS_URL"; then
  if command -v redis-server >/dev/null; then
    say "Redis is not answering: starting a local redis-server"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    for _ in $(seq 1 20); do redis_answers "$REDIS_URL" && break; sleep 0.5; done
  fi
  redis_answers "$REDIS_URL" || fail "Redis does not answer at $REDIS_URL. Install and start Redis (Debian: apt-get install redis-server), or set REDIS_URL."
fi

say "ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
say "manage.py check"
.venv/bin/python manage.py check --fail-level WARNING
say "makemigrations --check"
.venv/bin/python manage.py makemigrations --check --dry-run
# Tasks queued by earlier test runs (no worker reads that queue) are dropped, so Redis does not grow.
.venv/bin/python -c "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL']).delete(os.environ['CELERY_QUEUE'])"
say "pytest on PostgreSQL"
# Two processes (pytest-xdist), each module kept whole on one of them (its module fixtures built once), each
# with its own test database (pytest-django adds _gw0, _gw1) and, for kept figures, its own Redis namespace.
# PYTEST_WORKERS=0 runs everything in this one process.
# Branch coverage is measured over the apps' own tests, which test the rules and services it is reported for;
# the cross-cutting suites in tests/ (every URL's access, hostile input, query counts, the browser journeys)
# run without it: tracing every line cost them half as long again (1,064 s of the suite became about 1,600 s).
# Options given (make test PYTEST_ARGS=...) run once, with coverage, as asked.
if [ "$#" -gt 0 ]; then
  .venv/bin/pytest --cov --cov-report= -n "${PYTEST_WORKERS:-2}" --dist loadscope "$@"
else
  APPS="phb people twofactor accounts eligibility budgets careplans casework payments portal reports scale"
  say "... the apps' tests, with branch coverage"
  # shellcheck disable=SC2086
  .venv/bin/pytest --cov --cov-report= -n "${PYTEST_WORKERS:-2}" --dist loadscope $APPS
  say "... the cross-cutting and browser tests (tests/), without coverage"
  .venv/bin/pytest -n "${PYTEST_WORKERS:-2}" --dist loadscope tests
fi
say "Branch coverage of the workflow's rules and services (the whole project's total is the last line)"
.venv/bin/coverage report --include='careplans/lifecycle.py,careplans/rules.py,careplans/schedule.py,careplans/services.py,careplans/approval.py,careplans/reviews.py,careplans/reminders.py,careplans/emails.py,casework/stages.py,casework/trays.py,payments/rules.py,payments/periods.py,payments/balance.py,portal/services.py,portal/access.py,portal/selectors.py,phb/outbox.py,phb/services.py'
.venv/bin/coverage report | grep '^TOTAL'

say "Smoke run of the SQLite path (migrate, seed_demo twice, sign-in page)"
bash scripts/smoke-sqlite.sh
say "All checks passed."
