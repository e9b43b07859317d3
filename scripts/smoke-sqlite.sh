#!/usr/bin/env bash
# The path `make run` takes, on a throwaway SQLite database: migrate, seed the
# demo data twice (it must not duplicate), serve, and fetch the sign-in page.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

export DEBUG=true DATABASE_URL="sqlite:///$work/phb.sqlite3"
.venv/bin/python manage.py migrate --no-input -v 0
.venv/bin/python manage.py seed_demo >/dev/null
first=$(.venv/bin/python manage.py shell -v 0 -c "from people.models import Person, User; from eligibility.models import Screening; print(Person.objects.count(), User.objects.count(), Screening.objects.count())")
.venv/bin/python manage.py seed_demo >/dev/null
second=$(.venv/bin/python manage.py shell -v 0 -c "from people.models import Person, User; from eligibility.models import Screening; print(Person.objects.count(), User.objects.count(), Screening.objects.count())")
[ "$first" = "$second" ] || fail "seed_demo duplicated demo data: $first people/users, then $second."

port=$(.venv/bin/python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
.venv/bin/python manage.py runserver "127.0.0.1:$port" --noreload >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 40); do
  if page=$(curl -fsS "http://127.0.0.1:$port/sign-in/" 2>/dev/null); then break; fi
  sleep 0.25
done
grep -q "<h1>Sign in</h1>" <<<"${page:-}" || { cat "$work/server.log"; fail "The sign-in page did not load on the SQLite path."; }
echo "SQLite smoke run: migrate, seed_demo (idempotent: $first people, users and screenings before and after a second run), sign-in page served."
