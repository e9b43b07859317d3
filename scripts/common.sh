# Shared by run.sh and test.sh. Source it; do not run it.

say() { printf '\033[1m%s\033[0m\n' "$*"; }
fail() { printf '\033[31mError: %s\033[0m\n' "$*" >&2; exit 1; }

# Creates .venv if needed and installs the given requirements file when it changed.
ensure_venv() {
  local requirements="$1"
  if [ ! -x .venv/bin/python ]; then
    say "Creating .venv with $(python3 --version)"
    python3 -m venv .venv || fail "python3 -m venv failed: install python3-venv (Python 3.11 or newer)."
  fi
  local stamp=".venv/.installed-$(basename "$requirements")"
  if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    say "Installing Python packages from $requirements"
    mkdir -p var
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" >var/pip.log 2>&1; then
      cat var/pip.log >&2
      fail "pip could not install $requirements (output above)."
    fi
    touch "$stamp"
  fi
}

redis_answers() {
  .venv/bin/python - "$1" <<'PY' >/dev/null 2>&1
import sys, redis
sys.exit(0 if redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping() else 1)
PY
}
