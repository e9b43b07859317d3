#!/usr/bin/env bash
# make run: the site on http://127.0.0.1:8000 with demo data, on an embedded SQLite
# database under var/ (unless DATABASE_URL says otherwise), plus a Celery worker
# and beat when Redis answers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

export DEBUG="${DEBUG:-true}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
mkdir -p var

ensure_venv requirements.txt
say "Preparing the database"
.venv/bin/python manage.py migrate --no-input -v 0
.venv/bin/python manage.py seed_demo

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if redis_answers "$REDIS_URL"; then
  say "Redis answers at $REDIS_URL: starting a Celery worker and beat (logs in var/)"
  .venv/bin/celery -A phb worker --loglevel=INFO --concurrency=1 >var/celery-worker.log 2>&1 &
  pids+=($!)
  .venv/bin/celery -A phb beat --loglevel=INFO --schedule=var/celerybeat-schedule >var/celery-beat.log 2>&1 &
  pids+=($!)
else
  say "Reminders are off: Redis does not answer at $REDIS_URL."
  echo "  To turn them on, start Redis (for example: redis-server --daemonize yes) or set REDIS_URL, then run make run again."
fi

say "Starting the site on http://127.0.0.1:8000 (press Ctrl+C to stop)"
.venv/bin/python manage.py runserver 127.0.0.1:8000 --noreload
