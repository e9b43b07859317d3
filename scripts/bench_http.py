"""make bench (HTTP part): every page under gunicorn as in production, driven by wrk.

    bench_http.py run      measure, write var/bench/http.json
    bench_http.py report   write docs/benchmarks.md (between the bench markers) from var/bench/

`run` collects the static files, starts `gunicorn phb.wsgi:application --workers 3`
with DEBUG off on a free port of 127.0.0.1, and signs each persona in with a real
POST to /sign-in/. For every page it then counts the queries of one request
(django.test.Client in this process, same session, same database), fetches the
page once over HTTP (status, HTML size) and drives it with wrk at 4 connections
on 2 threads (scripts/wrk_session.lua sends the session cookie and prints the
latencies as JSON). The trivial signed-in view, GET / (a redirect through the
same middleware), runs before and after the pages, and every page's throughput
is reported as a share of it: ratios survive a noisy machine, absolute times do
not. A page that takes longer than gunicorn's 30 s worker timeout is recorded
as such and the bench carries on. Finally, each worker's resident memory.

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/phb_scale),
BENCH_SECONDS (per page; default 10, 3 with BENCH_QUICK=1), BENCH_PASSWORD
(the personas' password, default the generator's), REDIS_URL.
"""

import datetime
import http.client
import json
import math
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "var" / "bench"
HTTP_JSON = OUT_DIR / "http.json"
DOC = ROOT / "docs" / "benchmarks.md"
LUA = ROOT / "scripts" / "wrk_session.lua"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

QUICK = os.environ.get("BENCH_QUICK") == "1"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/phb_scale")
SECONDS = int(os.environ.get("BENCH_SECONDS", "3" if QUICK else "10"))
# A slow page gets a longer run (five of its own requests at least), so its
# percentiles come from more than one or two answers.
MAX_SECONDS = 15 if QUICK else 60
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-only-password-1")
CONNECTIONS, THREADS, WORKERS = 4, 2, 3
# gunicorn's default worker timeout: it kills a worker busy for longer (the client gets a 500).
GUNICORN_TIMEOUT_S = 30
WRK_TIMEOUT_S = GUNICORN_TIMEOUT_S + 1
PROBE_TIMEOUT_S = 35
# In this process nothing kills a slow page, so the query count gives up after this.
IN_PROCESS_LIMIT_S = 30 if QUICK else 60

PERSONAS = {
    "coordinator-60": "bench-coordinator-60",
    "coordinator-600": "bench-coordinator-600",
    "phb-team": "bench-phb-team",
    "lead": "bench-lead",
    "patient": "bench-patient",
}

# Targets from issue 12.
P95_TARGET_MS = 50
SHARE_TARGET_PCT = 5
CASELOAD_SHARE_TARGET_PCT = 10
QUERIES_TARGET = 8
HTML_TARGET_KB = 500

# Issue 12's table, for the before/after comparison: page key -> (queries, share %, p95, HTML).
BEFORE = {
    "caseload-60": (6, "3.3 %", "661 ms", "34 KB"),
    "caseload-600": (6, "7.5 %", "278 ms", "34 KB"),
    "caseload-team": (5, "1.2 %", "1.6 s", "34 KB"),
    "search-team": (6, "–", "–", "–"),
    "person": (20, "7.5 %", "263 ms", "15 KB"),
    "plan": (12, "10 %", "245 ms", "24 KB"),
    "plans-to-decide": (5, "0.2 %", "13.8 s", "3.5 MB"),
    "referrals": (4, "0.6 %", "7.0 s", "0.98 MB"),
    "sign-off": (3, "0.4 %", "4.6 s", "1.5 MB"),
    "reviews-600": (3, "0.2 %", "10.5 s", "0.43 MB"),
    "reviews-team": (3, "–", "killed at 30 s (500)", "116 MB"),
    "portal-home": (12, "7.9 %", "355 ms", "5 KB"),
}


def server_environment() -> dict:
    """Production settings with what plain HTTP on 127.0.0.1 needs (as scripts/test.sh sets them)."""
    return {
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdef"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "SECURE_HSTS_SECONDS": "0",
        # Anything a page queues goes to a queue of its own, never to a developer's worker.
        "CELERY_QUEUE": "phb-bench-http",
        "DJANGO_SETTINGS_MODULE": "phb.settings",
    }


def say(text: str) -> None:
    print(text, flush=True)


def loud(text: str) -> None:
    print(f"\033[1;31m{text}\033[0m", flush=True)


# --- Pages -------------------------------------------------------------------


@dataclass
class Page:
    key: str
    label: str
    persona: str
    path: str | None
    expected: int = 200
    kind: str = "page"  # page, caseload or trivial
    problem: str = ""  # why the page could not be resolved
    result: dict = field(default_factory=dict)


def resolve_pages(users: dict) -> list[Page]:
    """Every page with the ids it needs for its persona, found in the bench database."""
    from django.db.models import Count, F, Func
    from django.urls import NoReverseMatch, reverse

    from careplans.models import PlanVersion, Status
    from people.access import persons_visible_to
    from people.models import Person, PortalAccess

    def page(key, label, persona, name, *args, query="", kind="page", problem=""):
        expected = 302 if kind == "trivial" else 200
        if problem:
            return Page(key, label, persona, None, expected, kind, problem)
        try:
            return Page(key, label, persona, reverse(name, args=args) + query, expected, kind)
        except NoReverseMatch as error:
            return Page(key, label, persona, None, expected, kind, f"no URL: {error}")

    # The plan page: an active version as near 15 items as there is, in the small caseload or else
    # the large one (any version on data without an active one, such as seed_demo's).
    def nearest_15(persona, statuses):
        return (
            PlanVersion.objects.filter(status__in=statuses, plan__person__in=persons_visible_to(users[persona]))
            .annotate(item_count=Count("items"))
            .order_by(Func(F("item_count") - 15, function="ABS"), "pk")
            .select_related("plan")
            .first()
        )

    small = nearest_15("coordinator-60", [Status.ACTIVE])
    large = nearest_15("coordinator-600", [Status.ACTIVE])
    plan_persona, version = min(
        [pair for pair in (("coordinator-60", small), ("coordinator-600", large)) if pair[1]]
        or [("coordinator-60", nearest_15("coordinator-60", list(Status)))],
        key=lambda pair: abs(pair[1].item_count - 15) if pair[1] else 0,
    )
    if version:
        status = "" if version.status == Status.ACTIVE else f", {version.status}"
        plan_label = f"Plan version page ({version.item_count} items{status})"
    else:
        plan_label = "Plan version page"
    no_version = "" if version else "no plan in coordinator-60's caseload"
    # The person page: someone in the small caseload with an active plan (anyone there if none has).
    person_id = small.plan.person_id if small else None
    person_id = person_id or persons_visible_to(users["coordinator-60"]).values_list("pk", flat=True).first()
    no_person = "" if person_id else "no person in coordinator-60's caseload"
    patient_person = (
        PortalAccess.objects.filter(user=users["patient"], revoked_at__isnull=True)
        .values_list("person_id", flat=True)
        .first()
    )
    no_portal = "" if patient_person else "bench-patient has no portal access"
    term = "smith" if Person.objects.filter(family_name__iexact="smith").exists() else None
    if term is None:
        common = Person.objects.values("family_name").annotate(n=Count("pk")).order_by("-n").first()
        term = common["family_name"].lower() if common else "smith"
    search = "?" + urllib.parse.urlencode({"q": term})

    pages = [
        page("trivial-before", "Trivial signed-in view (GET /, a redirect)", "coordinator-60", "home", kind="trivial"),
        page("work-60", "Work tray", "coordinator-60", "casework:home"),
        page("work-600", "Work tray", "coordinator-600", "casework:home"),
        page("work-team", "Work tray (PHB team)", "phb-team", "casework:home"),
        page("work-lead", "Work tray (PHB team lead)", "lead", "casework:home"),
        page("caseload-60", "Caseload", "coordinator-60", "casework:caseload", kind="caseload"),
        page("caseload-600", "Caseload", "coordinator-600", "casework:caseload", kind="caseload"),
        page("caseload-team", "Caseload (everyone)", "phb-team", "casework:caseload", kind="caseload"),
        page(
            "search-team",
            f"Caseload search by name ({search})",
            "phb-team",
            "casework:caseload",
            query=search,
            kind="caseload",
        ),
        page(
            "caseload-team-stage",
            "Caseload (everyone), one stage (?stage=review_overdue)",
            "phb-team",
            "casework:caseload",
            query="?stage=review_overdue",
            kind="caseload",
        ),
        page(
            "caseload-600-stage",
            "Caseload (my team), sorted by stage (?show=team&sort=stage)",
            "coordinator-600",
            "casework:caseload",
            query="?show=team&sort=stage",
            kind="caseload",
        ),
        page("person", "Person page", "coordinator-60", "people:detail", person_id, problem=no_person),
        page("history", "Person's history", "coordinator-60", "people:history", person_id, problem=no_person),
        page("plan", plan_label, plan_persona, "careplans:version", version and version.pk, problem=no_version),
        page(
            "budget",
            "Budget page",
            plan_persona,
            "budgets:budget",
            version and version.budget_version_id,
            problem=no_version,
        ),
        page("plans-to-decide", "Plans to decide", "phb-team", "careplans:queue"),
        page("referrals", "Referrals", "phb-team", "eligibility:queue"),
        page("sign-off", "Budgets to sign off", "phb-team", "budgets:sign_off_queue"),
        page("reviews-60", "Reviews due", "coordinator-60", "careplans:reviews_due"),
        page("reviews-600", "Reviews due", "coordinator-600", "careplans:reviews_due"),
        page("tariffs", "Tariffs", "lead", "budgets:tariffs"),
        page("not-sent", "Messages not sent", "lead", "careplans:failed_messages"),
        # The dashboard (issue 16) is kept in Redis until the next change (phb.freshness), so under wrk after the
        # first request it is read from there; its first request is the in-process figure.
        page("dashboard-60", "Dashboard", "coordinator-60", "reports:dashboard"),
        page("dashboard-600", "Dashboard", "coordinator-600", "reports:dashboard"),
        page("dashboard-team", "Dashboard (everyone)", "phb-team", "reports:dashboard"),
        page("portal-home", "Portal home", "patient", "portal:person", patient_person, problem=no_portal),
        page("portal-plan", "Portal plan", "patient", "portal:plan", patient_person, problem=no_portal),
        page("portal-reviews", "Portal reviews", "patient", "portal:reviews", patient_person, problem=no_portal),
        page("portal-documents", "Portal documents", "patient", "portal:documents", patient_person, problem=no_portal),
        page("portal-messages", "Portal messages", "patient", "portal:messages", patient_person, problem=no_portal),
        # Last: at 200,000 people this one has outlived gunicorn's 30 s timeout.
        page("reviews-team", "Reviews due (everyone)", "phb-team", "careplans:reviews_due"),
        page("trivial-after", "Trivial signed-in view (GET /, a redirect)", "coordinator-60", "home", kind="trivial"),
    ]
    # BENCH_ONLY="work caseload": only the pages whose key starts with one of these (and the trivial view), for a
    # quick look while working; its report is not for docs/benchmarks.md.
    only = os.environ.get("BENCH_ONLY", "").split()
    return [p for p in pages if not only or p.kind == "trivial" or p.key.startswith(tuple(only))]


# --- HTTP ------------------------------------------------------------------------


def fetch(port, method, path, *, cookie="", body=None, content_type=None, timeout=PROBE_TIMEOUT_S):
    """One request on a fresh connection: (status, headers, body, seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Cookie": cookie} if cookie else {}
    if content_type:
        headers["Content-Type"] = content_type
    start = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, response.msg, data, time.perf_counter() - start
    finally:
        connection.close()


def cookies_from(headers) -> dict:
    jar = SimpleCookie()
    for line in headers.get_all("Set-Cookie") or []:
        jar.load(line)
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _form_token(port, path, cookies: dict, who: str) -> str:
    status, headers, body, _ = fetch(port, "GET", path, cookie=cookie_header(cookies))
    cookies.update(cookies_from(headers))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not token:
        raise SystemExit(f"GET {path} answered {status} without a CSRF token: cannot sign in {who}.")
    return token.group(1).decode()


def _post(port, path, cookies: dict, fields: dict):
    form = urllib.parse.urlencode(fields)
    status, headers, body, _ = fetch(
        port, "POST", path, cookie=cookie_header(cookies), body=form, content_type="application/x-www-form-urlencoded"
    )
    cookies.update(cookies_from(headers))
    return status, headers


def sign_in(port, user) -> dict:
    """A real sign-in, as staff do it: the form (e-mail address and password) with its CSRF cookie and
    token, then for staff the second factor's page with a code worked out from the persona's bench-only
    authenticator key (scale.staff.BENCH_TOTP_KEY). Returns the cookies of the verified session."""
    from django.conf import settings
    from django.urls import reverse

    from scale.staff import bench_authenticator
    from twofactor.rules import needs_second_factor, next_code

    who = user.username
    device = bench_authenticator(user) if needs_second_factor(user) else None
    path = reverse("login")
    cookies = {}
    token = _form_token(port, path, cookies, who)
    status, _ = _post(port, path, cookies, {"username": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token})
    if status != 302 or settings.SESSION_COOKIE_NAME not in cookies:
        raise SystemExit(
            f"Signing in {who} answered {status} without a session: is the password right "
            f"(BENCH_PASSWORD) and does the user exist in {DATABASE_URL}?"
        )
    if device is None:
        return cookies
    verify = reverse("twofactor:verify")
    token = _form_token(port, verify, cookies, who)
    while (code := next_code(device.key, now=time.time(), last_t=device.last_t, drift=device.drift)) is None:
        time.sleep(1)
    status, headers = _post(port, verify, cookies, {"code": code, "csrfmiddlewaretoken": token})
    device.refresh_from_db()
    if status != 302 or verify in (headers.get("Location") or ""):
        raise SystemExit(
            f"{who}'s second factor was refused ({status}): is their bench authenticator key the bench one?"
        )
    return cookies


# --- gunicorn ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port):
    log = open(OUT_DIR / "gunicorn.log", "w")  # noqa: SIM115 (open for the server's lifetime)
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "phb.wsgi:application",
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    for _ in range(120):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start (exit {server.returncode}); see var/bench/gunicorn.log")
        try:
            if fetch(port, "GET", "/health/", timeout=2)[0] in (200, 503):
                return server, command
        except OSError:
            pass
        time.sleep(0.25)
    server.terminate()
    raise SystemExit("gunicorn did not answer /health/ within 30 s; see var/bench/gunicorn.log")


def stop(server) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def children(pid) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def cpu_ticks(pid) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def memory_mb(pid) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
    return {"rss_mb": int(values["VmRSS"]) / 1024, "peak_mb": int(values["VmHWM"]) / 1024}


def wait_idle(server, since, limit_s=45) -> float:
    """Requests wrk left in flight keep workers busy after it stops: wait for the
    workers' CPU and their database sessions to go quiet before the next page."""
    from django.db import connection

    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        workers = children(server.pid)
        before = sum(cpu_ticks(pid) for pid in workers)
        time.sleep(0.5)
        busy_cpu = sum(cpu_ticks(pid) for pid in workers) - before > 1
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
                "AND pid <> pg_backend_pid() AND backend_start >= %s",
                [since],
            )
            busy_db = cursor.fetchone()[0] > 0
        if not busy_cpu and not busy_db:
            break
    return time.perf_counter() - start


# --- Measuring ---------------------------------------------------------------------


class TookTooLong(BaseException):
    """Raised by the alarm; a BaseException so no view's `except Exception` swallows it."""


def count_queries(cookies: dict, path: str) -> dict:
    """Queries of one request, in this process, with the persona's session. Fetched twice when
    quick, so one-off work (a first content-type lookup) does not count."""
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def alarm(*_):
        raise TookTooLong

    client = Client(raise_request_exception=False)
    for name, value in cookies.items():
        client.cookies[name] = value
    previous = signal.signal(signal.SIGALRM, alarm)
    result = {}
    try:
        for _ in range(2):
            signal.setitimer(signal.ITIMER_REAL, IN_PROCESS_LIMIT_S)
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            seconds = time.perf_counter() - start
            signal.setitimer(signal.ITIMER_REAL, 0)
            result = {
                "queries": len(captured.captured_queries),
                "status": response.status_code,
                "bytes": len(response.content),
                "seconds": seconds,
            }
            if seconds > 3:
                break
    except TookTooLong:
        connections.close_all()
        result = {"queries": None, "error": f"over {IN_PROCESS_LIMIT_S} s in process: not counted"}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return result


def probe(port, cookie, path) -> dict:
    try:
        status, headers, body, seconds = fetch(port, "GET", path, cookie=cookie)
    except (OSError, http.client.HTTPException) as error:
        return {"status": None, "error": f"no answer ({type(error).__name__}: {error})"}
    return {"status": status, "bytes": len(body), "seconds": seconds, "location": headers.get("Location")}


def drive(port, cookie, path, seconds) -> dict:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        f"{WRK_TIMEOUT_S}s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}{path}",
    ]
    try:
        done = subprocess.run(  # noqa: S603 (our own command line)
            command,
            env={**os.environ, "BENCH_COOKIE": cookie},
            capture_output=True,
            text=True,
            timeout=seconds + WRK_TIMEOUT_S + 30,
        )
    except subprocess.TimeoutExpired:
        return {"error": "wrk did not finish"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"error": f"wrk exit {done.returncode}: {done.stderr.strip() or done.stdout.strip()}"[:300]}
    return json.loads(lines[-1])


def machine() -> dict:
    from django.db import connection

    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    memory_kb = int(re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)  # noqa: S603, S607
    dirty = subprocess.run([*git, "status", "--porcelain", "-uno"], capture_output=True, text=True)  # noqa: S603, S607
    import django

    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(memory_kb / 1024 / 1024, 1),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "postgres": postgres.split()[0],
        "python": platform.python_version(),
        "django": django.get_version(),
        "commit": commit.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else ""),
    }


def data_size() -> dict:
    """Exact row counts of the tables that grow with the number of people."""
    from django.apps import apps
    from django.db import connection

    counted = {}
    for label in (
        "people.Person",
        "people.CareTeam",
        "people.User",
        "people.PortalAccess",
        "eligibility.Screening",
        "budgets.Assessment",
        "budgets.CurrentService",
        "budgets.BudgetVersion",
        "careplans.SupportPlan",
        "careplans.PlanVersion",
        "careplans.Outcome",
        "careplans.SupportItem",
        "careplans.PlanEvent",
        "careplans.Review",
        "careplans.ReviewReminder",
        "careplans.Letter",
        "portal.Message",
        "phb.AuditEvent",
    ):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        counted[model._meta.db_table] = model._default_manager.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database())), current_database()")
        size, name = cursor.fetchone()
    return {"database": name, "size": size, "rows": counted}


def run() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.update(server_environment())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from people.models import User

    say("HTTP bench: collecting static files")
    call_command("collectstatic", interactive=False, verbosity=0)
    users = {}
    for persona, username in PERSONAS.items():
        users[persona] = User.objects.filter(username=username).first()
        if users[persona] is None:
            raise SystemExit(f"No user {username} in {DATABASE_URL}: load it with manage.py seed_scale.")
    say("HTTP bench: counting rows")
    size = data_size()
    pages = resolve_pages(users)

    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        since = cursor.fetchone()[0]
    port = free_port()
    server, command = start_gunicorn(port)
    started_workers = children(server.pid)
    say(f"HTTP bench: gunicorn on 127.0.0.1:{port}, workers {started_workers}; {SECONDS} s a page")
    try:
        sessions = {persona: sign_in(port, user) for persona, user in users.items()}
        say("HTTP bench: the header's counts worked out, in process")
        counts = header_counts(users)
        say("HTTP bench: the dashboard worked out afresh, in process")
        dashboards = dashboards_afresh(users)
        say("HTTP bench: queries per request, in process")
        for page in pages:
            if page.path:
                page.result["in_process"] = count_queries(sessions[page.persona], page.path)
        # Every worker imports, connects and fills its caches before anything is timed.
        warm = next(page for page in pages if page.kind == "trivial")
        drive(port, cookie_header(sessions[warm.persona]), warm.path, 2)
        for page in pages:
            cookie = cookie_header(sessions[page.persona])
            if not page.path:
                loud(f"  {page.key}: SKIPPED, {page.problem}")
                continue
            page.result["probe"] = checked = probe(port, cookie, page.path)
            if checked["status"] is None or checked["seconds"] >= GUNICORN_TIMEOUT_S - 1:
                # Killed by gunicorn (a 500 at 30 s) or no answer: under load it would only be killed again.
                loud(f"  {page.key} {page.path}: {' '.join(problems(page))}; not driven with wrk")
                page.result["idle_wait_s"] = wait_idle(server, since)
                continue
            seconds = min(max(SECONDS, math.ceil(5 * checked["seconds"])), MAX_SECONDS)
            page.result["wrk"] = drive(port, cookie, page.path, seconds)
            page.result["seconds"] = seconds
            page.result["idle_wait_s"] = wait_idle(server, since)
            line = describe(page)
            (loud if problems(page) else say)(f"  {line}")
        workers = children(server.pid)
        memory = {pid: memory_mb(pid) for pid in workers}
    finally:
        stop(server)
    log = (OUT_DIR / "gunicorn.log").read_text(errors="replace")

    trivial = [p.result.get("wrk", {}).get("rps") for p in pages if p.kind == "trivial"]
    trivial = [rps for rps in trivial if rps]
    report = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "command": os.environ.get("BENCH_COMMAND", "scripts/bench_http.py run"),
        "server": " ".join(["gunicorn", *command[1:]]) + " (DEBUG=false)",
        "load": f"wrk -t{THREADS} -c{CONNECTIONS}, {SECONDS} s a page (more for a slow one), timeout {WRK_TIMEOUT_S} s",
        "quick": QUICK,
        "data": size,
        "trivial_rps": statistics.mean(trivial) if trivial else None,
        "pages": [asdict(page) for page in pages],
        "workers": [
            {"pid": pid, "started_with_run": pid in started_workers, **values} for pid, values in memory.items()
        ],
        "worker_timeouts": log.count("WORKER TIMEOUT"),
        "header_counts": counts,
        "dashboards_afresh": dashboards,
    }
    HTTP_JSON.write_text(json.dumps(report, indent=2, default=str))
    for worker in report["workers"]:
        say(f"  worker {worker['pid']}: {worker['rss_mb']:.0f} MB resident, peak {worker['peak_mb']:.0f} MB")
    if report["worker_timeouts"]:
        loud(f"  gunicorn killed {report['worker_timeouts']} worker(s) at its 30 s timeout (var/bench/gunicorn.log)")
    say(f"HTTP bench written to {HTTP_JSON.relative_to(ROOT)}")


def header_counts(users: dict, runs: int = 40) -> list[dict]:
    """The header's counts worked out afresh (casework.trays.count: one query), as on the first page after any
    change; the pages above read them kept (phb.freshness) unless something changed meanwhile."""
    from django.db import connection
    from django.utils import timezone

    from casework import trays
    from people.backends import UserWithTeamsBackend
    from phb.roles import is_clinical_staff

    found = []
    for persona, user in users.items():
        loaded = UserWithTeamsBackend().get_user(user.pk)
        if not is_clinical_staff(loaded):
            continue
        ask = trays.Ask(user=loaded, now=timezone.now())
        trays.count(ask)  # planned and cached by PostgreSQL once, as a worker's first request does
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            counted = trays.count(ask)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        found.append(
            {
                "persona": persona,
                "counts": len(counted.by_source),
                "p50_ms": times[len(times) // 2],
                "p95_ms": times[math.ceil(0.95 * len(times)) - 1],
                "largest": max(counted.by_source.values(), default=0),
                "cap": trays.COUNT_UP_TO,
            }
        )
    connection.close()
    return found


DASHBOARD_TARGET_MS = 500  # issue 16: the dashboard renders in under 500 ms at national scale


def dashboards_afresh(users: dict, runs: int = 3) -> list[dict]:
    """Each dashboard worked out afresh (reports.dashboard.dashboard, no kept copy), as on the first page after a
    change: its time (median of `runs`, after one to warm the caches) and its queries. A page is given the last
    copy while a worker works it out again when this takes longer than phb.freshness.SLOW_MS."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from people.backends import UserWithTeamsBackend
    from phb import freshness
    from reports.dashboard import dashboard

    found = []
    for persona in ("coordinator-60", "coordinator-600", "phb-team"):
        user = UserWithTeamsBackend().get_user(users[persona].pk)
        dashboard(user=user)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                figures = dashboard(user=user)
            times.append((time.perf_counter() - started) * 1000)
        found.append(
            {
                "persona": persona,
                "people": figures.people,
                "queries": len(queries),
                "median_ms": statistics.median(times),
                "slow_ms": freshness.SLOW_MS,
            }
        )
    connection.close()
    return found


# --- Judging and writing ----------------------------------------------------------------


def problems(page: dict | Page) -> list[str]:
    """What is wrong with a page's answers (not its speed): shown loudly."""
    page = page if isinstance(page, dict) else asdict(page)
    if not page["path"]:
        return [f"not measured: {page['problem']}"]
    found = []
    result = page["result"]
    probe_ = result.get("probe", {})
    if probe_.get("status") is None:
        found.append(probe_.get("error", "no answer"))
    elif probe_["status"] != page["expected"]:
        found.append(f"answered {probe_['status']}" + (f" → {probe_['location']}" if probe_.get("location") else ""))
    if probe_.get("seconds", 0) >= GUNICORN_TIMEOUT_S - 1:
        found.append(f"one request took {probe_['seconds']:.0f} s (gunicorn's {GUNICORN_TIMEOUT_S} s worker timeout)")
    in_process = result.get("in_process", {})
    if in_process.get("error"):
        found.append(in_process["error"])
    measured = result.get("wrk", {})
    if measured.get("error"):
        found.append(measured["error"])
    elif measured:
        unexpected = {code: n for code, n in measured["statuses"].items() if int(code) != page["expected"]}
        if unexpected:
            found.append("statuses " + ", ".join(f"{n} × {code}" for code, n in sorted(unexpected.items())))
        errors = {kind: n for kind, n in measured["errors"].items() if n and kind != "status"}
        if errors:
            found.append("wrk errors " + ", ".join(f"{kind} {n}" for kind, n in errors.items()))
        if measured["requests"] == 0:
            found.append(f"no request finished in {result['seconds']} s")
    return found


def share(page: dict, trivial_rps) -> float | None:
    rps = page["result"].get("wrk", {}).get("rps")
    return rps / trivial_rps * 100 if rps is not None and trivial_rps else None


def html_kb(page: dict) -> float | None:
    result = page["result"]
    size = result.get("probe", {}).get("bytes")
    if size is None:
        size = result.get("in_process", {}).get("bytes")
    return size / 1024 if size is not None else None


def missed(page: dict, trivial_rps) -> list[str]:
    if page["kind"] == "trivial":
        return []
    measured = page["result"].get("wrk", {})
    queries = page["result"].get("in_process", {}).get("queries")
    kb = html_kb(page)
    pct = share(page, trivial_rps)
    floor = CASELOAD_SHARE_TARGET_PCT if page["kind"] == "caseload" else SHARE_TARGET_PCT
    out = []
    if not measured.get("requests"):
        out.append("no timings")
    else:
        if measured["p95_ms"] > P95_TARGET_MS:
            out.append("p95")
        if pct is not None and pct < floor:
            out.append(f"< {floor} %")
    if queries is None or queries > QUERIES_TARGET:
        out.append("queries")
    if kb is None or kb > HTML_TARGET_KB:
        out.append("HTML")
    if problems(page):
        out.append("status")
    return out


def ms(value) -> str:
    if value is None:
        return "–"
    if value >= 1000:
        return f"{value / 1000:.1f} s"
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def kb_text(kb) -> str:
    if kb is None:
        return "–"
    return f"{kb / 1024:.1f} MB" if kb >= 1024 else f"{kb:.0f} KB" if kb >= 10 else f"{kb:.1f} KB"


def describe(page: Page) -> str:
    data = asdict(page)
    measured = page.result.get("wrk", {})
    queries = page.result.get("in_process", {}).get("queries")
    text = (
        f"{page.key:<17} {page.persona:<16} {'?' if queries is None else queries:>3} q  "
        f"p50 {ms(measured.get('p50_ms')):>7}  p95 {ms(measured.get('p95_ms')):>7}  "
        f"{measured.get('rps', 0):7.1f} req/s  {kb_text(html_kb(data)):>8}"
    )
    found = problems(data)
    return text + (f"  !! {'; '.join(found)}" if found else "")


def markdown(http_report: dict, pdf: dict | None, reminders: str | None, celery: dict | None) -> str:
    m = http_report["machine"]
    trivial_rps = http_report["trivial_rps"]
    pages = http_report["pages"]
    lines = [
        f"Run on {http_report['date']}{' (quick run: BENCH_QUICK=1)' if http_report['quick'] else ''}, "
        f"commit {m['commit']}.",
        "",
        f"- **Machine**: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gb']} GB RAM; PostgreSQL {m['postgres']}, "
        f"Python {m['python']}, Django {m['django']}.",
        f"- **Command**: `{http_report['command']}` (`{http_report['server']}`; {http_report['load']}).",
        f"- **Data**: database `{http_report['data']['database']}`, {http_report['data']['size']}: "
        + ", ".join(f"{table} {count:,}" for table, count in http_report["data"]["rows"].items())
        + ".",
        "- **Trivial signed-in view**: "
        + ", ".join(
            f"{p['key'].split('-')[1]} the pages {p['result'].get('wrk', {}).get('rps', 0):.0f} req/s"
            for p in pages
            if p["kind"] == "trivial"
        )
        + (f"; their mean, {trivial_rps:.0f} req/s, is 100 %." if trivial_rps else "."),
        "",
        f"Targets: p95 ≤ {P95_TARGET_MS} ms at {CONNECTIONS} clients; throughput ≥ {SHARE_TARGET_PCT} % of the trivial "
        f"view's (caseload ≥ {CASELOAD_SHARE_TARGET_PCT} %); ≤ {QUERIES_TARGET} queries; HTML ≤ {HTML_TARGET_KB} KB.",
        "",
        "| page | persona | status | queries | p50 | p95 | p99 | req/s | % of trivial | HTML | targets |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for page in pages:
        result = page["result"]
        measured = result.get("wrk", {})
        timed = bool(measured.get("requests"))
        queries = result.get("in_process", {}).get("queries")
        pct = share(page, trivial_rps)
        found = problems(page)
        if page["kind"] == "trivial":
            verdict = "–"
        else:
            misses = missed(page, trivial_rps)
            verdict = "met" if not misses else "**missed**: " + ", ".join(misses)
        cells = [
            page["label"],
            page["persona"],
            "**" + "; ".join(found) + "**" if found else str(result.get("probe", {}).get("status")),
            "–" if queries is None else str(queries),
            *(ms(measured.get(f"p{n}_ms")) if timed else "–" for n in (50, 95, 99)),
            f"{measured['rps']:.1f}" if "rps" in measured else "–",
            "–" if pct is None or page["kind"] == "trivial" else f"{pct:.1f} %",
            kb_text(html_kb(page)),
            verdict,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    met = sum(1 for p in pages if p["kind"] != "trivial" and p["path"] and not missed(p, trivial_rps))
    total = sum(1 for p in pages if p["kind"] != "trivial")
    lines += [
        "",
        f"{met} of {total} pages meet every target. Queries are counted from one request in process "
        "(django.test.Client, same session and database); HTML size is the body of one request over HTTP. "
        "Requests still running when a page's run ended are not counted; a slow page gets a run of five of its "
        "own requests at least (up to 60 s).",
        "",
    ]

    loud_lines = [
        f"- {p['label']} ({p['persona']}, `{p['path']}`): {'; '.join(problems(p))}" for p in pages if problems(p)
    ]
    if loud_lines:
        lines += ["**Pages that did not answer as expected:**", "", *loud_lines, ""]

    lines += [
        "### Before and after (issue 12's figures → this run)",
        "",
        "| page | persona | queries | % of trivial | p95 | HTML |",
        "|---|---|---|---|---|---|",
    ]
    by_key = {p["key"]: p for p in pages}
    for key, (queries, pct, p95, size) in BEFORE.items():
        page = by_key.get(key)
        if not page:
            continue
        result = page["result"]
        now_q = result.get("in_process", {}).get("queries")
        now_pct = share(page, trivial_rps)
        now_p95 = result.get("wrk", {}).get("p95_ms") if result.get("wrk", {}).get("requests") else None
        lines.append(
            f"| {page['label']} | {page['persona']} | {queries} → {'–' if now_q is None else now_q} | "
            f"{pct} → {'–' if now_pct is None else f'{now_pct:.1f} %'} | {p95} → {ms(now_p95)} | "
            f"{size} → {kb_text(html_kb(page))} |"
        )
    lines.append("")

    counts = http_report.get("header_counts") or []
    if counts:
        lines += [
            "### The header's counts, worked out afresh",
            "",
            "Every staff page shows counts beside the header's links (casework.trays, each up to 99). They are kept "
            "in Redis until anyone changes anything (phb.freshness), so the pages above read them kept; the first "
            "page after a change works them out in the query that loads the user. That work, alone, in process:",
            "",
            f"| persona | counts | largest | p50 | p95 | target p95 ≤ {P95_TARGET_MS} ms |",
            "|---|---|---|---|---|---|",
        ]
        for row in counts:
            verdict = "met" if row["p95_ms"] <= P95_TARGET_MS else "**missed**"
            largest = f"{row['cap']}+" if row["largest"] > row["cap"] else str(row["largest"])
            lines.append(
                f"| {row['persona']} | {row['counts']} | {largest} | {ms(row['p50_ms'])} | {ms(row['p95_ms'])} "
                f"| {verdict} |"
            )
        lines.append("")

    dashboards = http_report.get("dashboards_afresh") or []
    if dashboards:
        rendered = {
            page["persona"]: page["result"].get("wrk", {}).get("p95_ms")
            for page in http_report["pages"]
            if page["key"].startswith("dashboard-")
        }
        lines += [
            "### The dashboard worked out afresh",
            "",
            "The dashboard's figures are kept in Redis until anyone changes anything (phb.freshness). Worked out "
            "afresh, alone, in process, they take the time below. When that is longer than "
            f"{dashboards[0]['slow_ms']} ms (phb.freshness.SLOW_MS), the page after a change is given the last copy "
            "(at most 5 minutes old, its time said on the page) while a Celery worker works them out again, so "
            f"the page itself renders in the p95 above (target p95 < {DASHBOARD_TARGET_MS} ms, issue 16); quicker "
            "figures are worked out on the page that asks.",
            "",
            f"| persona | people | queries | worked out afresh (median) | page p95 | target page p95 < "
            f"{DASHBOARD_TARGET_MS} ms |",
            "|---|---|---|---|---|---|",
        ]
        for row in dashboards:
            p95 = rendered.get(row["persona"])
            verdict = "–" if p95 is None else ("met" if p95 < DASHBOARD_TARGET_MS else "**missed**")
            lines.append(
                f"| {row['persona']} | {row['people']:,} | {row['queries']} | {ms(row['median_ms'])} | {ms(p95)} "
                f"| {verdict} |"
            )
        lines.append("")

    lines += [
        "### gunicorn workers after the run",
        "",
        "| worker | resident (RSS) | peak (VmHWM) | target ≤ 200 MB |",
        "|---|---|---|---|",
    ]
    for worker in http_report["workers"]:
        started = "" if worker["started_with_run"] else " (replaced during the run)"
        verdict = "met" if worker["rss_mb"] <= 200 else "**missed**"
        lines.append(
            f"| {worker['pid']}{started} | {worker['rss_mb']:.0f} MB | {worker['peak_mb']:.0f} MB | {verdict} |"
        )
    timeouts = http_report["worker_timeouts"]
    lines += [
        "",
        f"gunicorn killed {timeouts} worker{'s' if timeouts != 1 else ''} at its 30 s timeout during the run."
        if timeouts
        else "No worker was killed by gunicorn's 30 s timeout.",
        "",
    ]
    # var/bench/celery.json, if the reminder bench writes one: {"pid", "rss_mb", "peak_mb"} or a list of them.
    for process in celery if isinstance(celery, list) else [celery] if celery else []:
        verdict = "met" if process["rss_mb"] <= 200 else "**missed**"
        lines += [
            f"Celery worker process {process['pid']} after the reminder bench: {process['rss_mb']:.0f} MB resident, "
            f"peak {process['peak_mb']:.0f} MB (≤ 200 MB: {verdict}).",
            "",
        ]

    if pdf:
        lines += [
            "### Plan PDF",
            "",
            "| pages | items | outcomes | size | first render (fresh process) | "
            f"warm median of {pdf['results'][0]['runs']} | best |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in pdf["results"]:
            lines.append(
                f"| {r['pages']} | {r['items']} | {r['outcomes']} | {r['kib']} KiB | {r['first_s']:.2f} s | "
                f"{r['median_s']:.2f} s | {r['best_s']:.2f} s |"
            )
        five = next(r for r in pdf["results"] if r["pages_wanted"] == 5)
        lines += [
            "",
            f"Target: a 5-page plan ≤ {pdf['target']['five_page_s']} s: "
            f"{'met' if pdf['target']['met'] else '**missed**'} ({five['median_s']:.2f} s)."
            + (
                " WeasyPrint subsets fonts with fontTools here: HarfBuzz-Subset (Debian: libharfbuzz-subset0) "
                "is not installed."
                if pdf.get("harfbuzz_subset_missing")
                else ""
            ),
            "",
        ]
    if reminders:
        lines += ["### Reminder sweep (scripts/bench_reminders.py)", "", "```", reminders.strip(), "```", ""]
    return "\n".join(lines)


SKELETON = f"""# Benchmarks

`make bench` (issue 12) measures every page under gunicorn as in production
against PostgreSQL loaded by `manage.py seed_scale`, next to a trivial signed-in
view in the same run, and the plan PDF and the reminder sweep. It rewrites only
the part between the two bench markers below; write anything else (EXPLAIN
plans, profiles) outside them and it stays.

```sh
make bench                                  # 200,000 people in phb_scale, 10 s a page
BENCH_QUICK=1 make bench                    # 3 s a page
BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/phb_benchdev BENCH_PEOPLE=3000 make bench
```

## Latest run

{START}
{END}

## Before (issue 12's figures)

200,000 people in 40 teams with 400 coordinators, 150,000 plans, 1,000,000
reviews (2.8 GB); gunicorn with 3 sync workers, 4 concurrent clients, DEBUG
off, next to a trivial signed-in view in the same run; three runs each,
medians; the trivial view served about 250 requests/s on a shared 2-core
machine.

| page (persona) | queries | SQL time, one request | throughput, % of the trivial view | p95 at 4 clients | HTML size |
|---|---|---|---|---|---|
| caseload, coordinator with 60 people | 6 | 178 ms | 3.3 % | 661 ms | 34 KB |
| caseload, coordinator with 600 | 6 | 57 ms | 7.5 % | 278 ms | 34 KB |
| caseload, PHB team (everyone) | 5 | 544 ms | 1.2 % | 1.6 s | 34 KB |
| search by name, PHB team | 6 | 979 ms | – | – | – |
| person page | **20** | 10 ms | 7.5 % | 263 ms | 15 KB |
| plan page (15 items) | **12** | 35 ms | 10 % | 245 ms | 24 KB |
| plans to decide (PHB team) | 5 | 253 ms | 0.2 % | 13.8 s | **3.5 MB** |
| referrals (PHB team) | 4 | 29 ms | 0.6 % | 7.0 s | **0.98 MB** |
| budgets to sign off (PHB team) | 3 | 179 ms | 0.4 % | 4.6 s | **1.5 MB** |
| reviews due, coordinator with 600 | 3 | 1,158 ms | 0.2 % | 10.5 s | 0.43 MB |
| reviews due, PHB team | 3 | 2,932 ms | – | killed at 30 s (500) | **116 MB** |
| portal home (patient) | **12** | 14 ms | 7.9 % | 355 ms | 5 KB |

Plan PDFs: 2 pages 0.24 s, 5 pages 0.74 s, 8 pages 0.83 s, 10 pages 1.49 s
(median of 5, warm); each worker's first PDF 1.3 to 2.1 s. Workers held 170
to 176 MB RSS after the run. Reminder sweep: the first sweep claimed 30,876
reminders in 6.3 s (target 5 s); every sweep re-queued every unsent row.
"""


def report() -> None:
    if not HTTP_JSON.exists():
        raise SystemExit(f"{HTTP_JSON.relative_to(ROOT)} is missing: run `bench_http.py run` first.")
    http_report = json.loads(HTTP_JSON.read_text())
    pdf_path, reminders_path, celery_path = OUT_DIR / "pdf.json", OUT_DIR / "reminders.txt", OUT_DIR / "celery.json"
    generated = markdown(
        http_report,
        json.loads(pdf_path.read_text()) if pdf_path.exists() else None,
        reminders_path.read_text() if reminders_path.exists() else None,
        json.loads(celery_path.read_text()) if celery_path.exists() else None,
    )
    document = DOC.read_text() if DOC.exists() else SKELETON
    if START not in document or END not in document:
        document = document.rstrip() + f"\n\n## Latest run\n\n{START}\n{END}\n"
    head, rest = document.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{START}\n{generated}\n{END}{tail}")
    print(generated)
    print(f"Written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] == ["run"]:
        run()
    elif sys.argv[1:] == ["report"]:
        report()
    else:
        raise SystemExit(__doc__)
