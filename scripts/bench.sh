#!/usr/bin/env bash
# make bench: every page under gunicorn against PostgreSQL loaded by seed_scale,
# then the plan PDF, the reminder sweep and a 10,000-row statement import; the results go to
# docs/benchmarks.md.
#
#   BENCH_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/phb_scale
#   BENCH_PEOPLE        default 200000: loaded with seed_scale if the database has fewer
#   BENCH_QUICK=1       a short run (3 s a page, fewer PDF renders)
#   BENCH_SECONDS       seconds a page (default 10)
#   BENCH_PARTS         which parts to run (default "http pdf reminders statements")
#
# The statements part (scripts/bench_import.py) makes its own throwaway database and needs neither
# the bench database nor wrk: run alone (BENCH_PARTS=statements), it skips them.
#
# The database is migrated first, so the bench measures the schema of the code
# it runs. Not part of make test: the machine is shared and timings are noisy.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

export BENCH_DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/phb_scale}"
export BENCH_PEOPLE="${BENCH_PEOPLE:-200000}"
export BENCH_QUICK="${BENCH_QUICK:-0}"
BENCH_PARTS="${BENCH_PARTS:-http pdf reminders statements}"
# The command as the report states it: make bench with whatever was not left at its default.
BENCH_COMMAND="make bench"
for name in BENCH_PARTS BENCH_SECONDS BENCH_QUICK BENCH_PEOPLE BENCH_DATABASE_URL; do
  case "$name=${!name:-}" in
    "BENCH_PARTS=http pdf reminders statements" | BENCH_SECONDS= | BENCH_QUICK=0 | BENCH_PEOPLE=200000 | \
      BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/phb_scale) ;;
    *) value="${!name}"; [[ "$value" == *" "* ]] && value="'$value'"; BENCH_COMMAND="$name=$value $BENCH_COMMAND" ;;
  esac
done
export BENCH_COMMAND
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"

ensure_venv requirements-dev.txt

part() { [[ " $BENCH_PARTS " == *" $1 "* ]]; }
# The parts that run against the bench database (seed_scale's data); the statements part does not.
scale=false
for name in http pdf reminders; do part "$name" && scale=true; done

if $scale; then  # (not indented: the Python here-documents below are read as they stand)
# Debian's wrk drives the pages.
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "Installing Debian's wrk for the HTTP bench"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
      || fail "apt-get could not install wrk."
  else
    fail "wrk is missing. Install Debian's wrk package (as root: apt-get install wrk)."
  fi
fi

# manage.py against the bench database, with production settings for plain HTTP.
bench_manage() {
  DATABASE_URL="$BENCH_DATABASE_URL" DEBUG=false SECURE_SSL_REDIRECT=false SECURE_COOKIES=false \
    SECRET_KEY="${SECRET_KEY:-bench-only-secret-key-not-for-production-0123456789abcdef}" \
    .venv/bin/python manage.py "$@"
}

say "Bench database: $BENCH_DATABASE_URL"
.venv/bin/python - <<'PY' || fail "PostgreSQL does not answer for $BENCH_DATABASE_URL, or the database could not be created."
import os, dj_database_url, psycopg2
c = dj_database_url.parse(os.environ["BENCH_DATABASE_URL"])
conn = psycopg2.connect(host=c["HOST"] or None, port=c["PORT"] or None, user=c["USER"], password=c["PASSWORD"] or None,
                        dbname="postgres", connect_timeout=3)
conn.autocommit = True
with conn.cursor() as cursor:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [c["NAME"]])
    if cursor.fetchone() is None:
        print(f"Creating database {c['NAME']}")
        cursor.execute(f'CREATE DATABASE "{c["NAME"]}"')
conn.close()
PY
say "migrate"
bench_manage migrate --no-input || fail "migrate failed on $BENCH_DATABASE_URL."

# Generated data of the size asked for: the bench personas and BENCH_PEOPLE people (a little over is
# fine). An empty database is loaded with seed_scale; any other is never dropped or added to here.
read -r people personas < <(.venv/bin/python - <<'PY'
import os, dj_database_url, psycopg2
c = dj_database_url.parse(os.environ["BENCH_DATABASE_URL"])
conn = psycopg2.connect(host=c["HOST"] or None, port=c["PORT"] or None, user=c["USER"], password=c["PASSWORD"] or None,
                        dbname=c["NAME"], connect_timeout=3)
with conn.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM people_person")
    people = cursor.fetchone()[0]
    cursor.execute("SELECT count(*) FROM people_user WHERE username IN ('bench-coordinator-60', 'bench-coordinator-600', "
                   "'bench-phb-team', 'bench-lead', 'bench-patient')")
    print(people, cursor.fetchone()[0])
PY
) || fail "Could not count the people in $BENCH_DATABASE_URL."
if [ "$people" = 0 ] && [ "$personas" = 0 ]; then
  say "The bench database is empty: loading $BENCH_PEOPLE people with seed_scale"
  bench_manage seed_scale --people "$BENCH_PEOPLE" --password "${BENCH_PASSWORD:-bench-only-password-1}" \
    || fail "seed_scale failed."
elif [ "$personas" = 5 ] && [ "$people" -ge "$BENCH_PEOPLE" ] && [ "$people" -le $((BENCH_PEOPLE * 11 / 10)) ]; then
  say "The bench database holds $people people and the bench personas"
else
  fail "The bench database holds $people people and $personas of the 5 bench personas, not the $BENCH_PEOPLE people \
seed_scale makes. Drop it yourself (dropdb) to load it again, or set BENCH_DATABASE_URL and BENCH_PEOPLE to match."
fi
fi  # $scale

mkdir -p var/bench
failed=()
# A part run again replaces its own results only, so one part can be run again alone.
part http && rm -f var/bench/http.json
part pdf && rm -f var/bench/pdf.json
part reminders && rm -f var/bench/reminders.txt var/bench/celery.json
part statements && rm -f var/bench/statements.txt

if part http; then
  say "HTTP bench"
  .venv/bin/python scripts/bench_http.py run || failed+=("HTTP bench")
fi
if part pdf; then
  say "Plan PDF bench"
  .venv/bin/python scripts/bench.py || failed+=("PDF bench")
fi
if part reminders; then
  say "Reminder sweep bench"
  .venv/bin/python scripts/bench_reminders.py 2>&1 | tee var/bench/reminders.txt
  [ "${PIPESTATUS[0]}" = 0 ] || failed+=("reminder bench")
fi
if part statements; then
  say "Statement import bench"
  .venv/bin/python scripts/bench_import.py 2>&1 | tee var/bench/statements.txt
  [ "${PIPESTATUS[0]}" = 0 ] || failed+=("statement import bench")
fi

if [ -f var/bench/http.json ]; then
  say "Report"
  .venv/bin/python scripts/bench_http.py report || failed+=("report")
fi
[ ${#failed[@]} = 0 ] || fail "Failed: ${failed[*]} (output above)."
say "Bench done: docs/benchmarks.md"
