"""make bench (part 2): the review reminder sweep at national scale, on PostgreSQL, Redis and a real worker.

Seeds a throwaway database (phb_bench) shaped like the national one in issue 12: 200,000 people, 150,000
plans (most active; some approved and waiting to start, ending, ended; a third with an earlier version
replaced), 1,000,000 reviews (one scheduled review waiting on each plan still going, due from 60 days ago
to a year ahead, an unscheduled one on one plan in a hundred, the rest completed, each with the two
reminders it had sent), so that some 30,000 reminder windows are open today. The rows are cloned with a few big
INSERT ... SELECT statements while the journey facts' INSERT triggers are off, and everyone's facts are worked
out once after them (seed says why); the load takes some two minutes. Then it measures:

1. the first sweep: claims those reminders (one INSERT ... SELECT) and hands them to Celery, no worker
   running yet; how long each part takes, and the calls to Redis (one per batch task). Target: 5 s;
2. the second sweep, at once: nothing new to claim, nothing queued again;
3. the drain: one Celery worker (one process) sends the backlog to a local SMTP server while the beat's
   sweep runs every BENCH_SWEEP_EVERY seconds, each time also with every mark aged as if the backlog had
   waited in Redis longer than a task lives (QUEUE_AGAIN_AFTER). It reports rows sent per second, the
   most reminder ids waiting in Redis at any sweep against the reminders then unsent (it must never be
   more), and whether the mail server got every reminder exactly once.

BENCH_PEOPLE, BENCH_PLANS and BENCH_REVIEWS change the size; BENCH_DRAIN=0 skips the drain; BENCH_EXPLAIN=1
prints the claim's plan first (EXPLAIN ANALYZE, rolled back; the timed sweep then finds the data cached);
BENCH_KEEP=1 keeps the database afterwards. The machine's load average is printed at the start and the end:
the times grow with it, so compare runs at a like load.
"""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
NAME = "phb_bench"
QUEUE = "phb-bench"
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "200000"))
PLANS = int(os.environ.get("BENCH_PLANS", "150000"))
REVIEWS = int(os.environ.get("BENCH_REVIEWS", "1000000"))
DRAIN = os.environ.get("BENCH_DRAIN", "1") != "0"
SWEEP_EVERY = float(os.environ.get("BENCH_SWEEP_EVERY", "5"))
TARGET_SECONDS = 5.0

admin = psycopg2.connect(f"{SERVER}/postgres")
admin.autocommit = True
with admin.cursor() as cursor:
    cursor.execute(f"DROP DATABASE IF EXISTS {NAME}")
    cursor.execute(f"CREATE DATABASE {NAME}")

os.environ.update(
    DEBUG="true", DATABASE_URL=f"{SERVER}/{NAME}", DJANGO_SETTINGS_MODULE="phb.settings", CELERY_QUEUE=QUEUE
)
import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from celery.signals import after_task_publish  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.utils import timezone  # noqa: E402

from careplans import approval, reminders, services, tasks  # noqa: E402
from careplans.models import Review, ReviewReminder  # noqa: E402
from careplans.tests.factories import complete_plan  # noqa: E402
from careplans.tests.test_sweep_backlog import ids_waiting_in_redis, start_sink, stop_sink  # noqa: E402
from casework import facts  # noqa: E402
from people.models import CareTeam, Person, User  # noqa: E402
from people.nhs_number import test_range_number  # noqa: E402
from phb import outbox  # noqa: E402
from phb.roles import Role  # noqa: E402

# Each clone is built from one real row made through the services (templates copied to temporary tables
# first, so no INSERT reads the table it writes), with jsonb_populate_record in a LATERAL join (as
# `(f(x)).*` it would run once per column).
SEED = """
CREATE TEMP TABLE template_person AS SELECT to_jsonb(p) AS j FROM people_person p WHERE p.id = %(person)s;
CREATE TEMP TABLE template_plan AS SELECT to_jsonb(s) AS j FROM careplans_supportplan s WHERE s.id = %(plan)s;
CREATE TEMP TABLE template_version AS SELECT to_jsonb(v) AS j FROM careplans_planversion v WHERE v.id = %(version)s;
CREATE TEMP TABLE template_review AS SELECT to_jsonb(r) AS j FROM careplans_review r WHERE r.id = %(review)s;
CREATE TEMP TABLE bench_people AS SELECT g, gen_random_uuid() AS id FROM generate_series(1, %(people)s) g;
-- Three in ten have an e-mail address and want reminders.
INSERT INTO people_person SELECT c.* FROM template_person t, bench_people b,
LATERAL jsonb_populate_record(NULL::people_person, t.j || jsonb_build_object(
    'id', b.id, 'nhs_number', (1000000000 + b.g)::text, 'family_name', 'Bench ' || b.g,
    'email', CASE WHEN b.g %% 10 < 3 THEN 'person' || b.g || '@example.com' ELSE '' END,
    'wants_review_reminders', b.g %% 10 < 3)) c;
CREATE TEMP TABLE bench_plans AS SELECT g, id AS person_id, gen_random_uuid() AS id, gen_random_uuid() AS version_id,
    CASE WHEN g %% 3 = 0 THEN gen_random_uuid() END AS earlier_id,
    CASE g %% 20 WHEN 0 THEN 'approved' WHEN 1 THEN 'ending' WHEN 2 THEN 'ended' ELSE 'active' END AS status
FROM bench_people WHERE g <= %(plans)s;
CREATE UNIQUE INDEX ON bench_plans (g);
INSERT INTO careplans_supportplan SELECT c.* FROM template_plan t, bench_plans b,
LATERAL jsonb_populate_record(NULL::careplans_supportplan, t.j || jsonb_build_object(
    'id', b.id, 'person_id', b.person_id)) c;
INSERT INTO careplans_planversion SELECT c.* FROM template_version t, bench_plans b,
LATERAL jsonb_populate_record(NULL::careplans_planversion, t.j || jsonb_build_object(
    'id', b.earlier_id, 'plan_id', b.id, 'number', 1, 'status', 'superseded')) c
WHERE b.earlier_id IS NOT NULL;
INSERT INTO careplans_planversion SELECT c.* FROM template_version t, bench_plans b,
LATERAL jsonb_populate_record(NULL::careplans_planversion, t.j || jsonb_build_object(
    'id', b.version_id, 'plan_id', b.id, 'number', CASE WHEN b.earlier_id IS NULL THEN 1 ELSE 2 END,
    'status', b.status)) c;
-- One scheduled review waiting on each plan (cancelled once the budget is ending or ended), due from 60 days
-- ago to a year ahead.
INSERT INTO careplans_review SELECT c.* FROM template_review t, bench_plans b,
LATERAL jsonb_populate_record(NULL::careplans_review, t.j || jsonb_build_object(
    'id', gen_random_uuid(), 'plan_id', b.id, 'plan_version_id', b.version_id,
    'due_on', %(today)s::date + ((b.g * 7919) %% 420 - 60),
    'status', CASE WHEN b.status IN ('ending', 'ended') THEN 'cancelled' ELSE 'due' END)) c;
-- An unscheduled review waiting on one plan in a hundred, due within a month either way.
INSERT INTO careplans_review SELECT c.* FROM template_review t, bench_plans b,
LATERAL jsonb_populate_record(NULL::careplans_review, t.j || jsonb_build_object(
    'id', gen_random_uuid(), 'plan_id', b.id, 'plan_version_id', b.version_id, 'kind', 'unscheduled',
    'reason', 'health_changed', 'due_on', %(today)s::date + ((b.g::bigint * 104729) %% 60 - 30)::int)) c
WHERE b.g %% 100 = 7;
-- The rest are completed, over the last five years.
INSERT INTO careplans_review SELECT c.* FROM template_review t,
generate_series(1, %(reviews)s - (SELECT count(*) FROM careplans_review)) n
JOIN bench_plans b ON b.g = 1 + (n %% %(plans)s)::int,
LATERAL jsonb_populate_record(NULL::careplans_review, t.j || jsonb_build_object(
    'id', gen_random_uuid(), 'plan_id', b.id, 'plan_version_id', COALESCE(b.earlier_id, b.version_id),
    'due_on', %(today)s::date - 60 - (n %% 1800)::int, 'status', 'completed',
    'completed_on', %(today)s::date - 60 - (n %% 1800)::int, 'decision', 'continue')) c;
-- Each completed review had its reminders sent: the coordinator's first two always, the others for some.
INSERT INTO careplans_reviewreminder (review_id, kind, created_at, sent_at, attempts, last_error)
SELECT r.id, k.kind, now() - interval '1 year', now() - interval '1 year', 1, '' FROM careplans_review r,
    (VALUES ('coordinator_28', 1), ('coordinator_7', 1), ('coordinator_due', 3), ('person_28', 4),
        ('lead_overdue_14', 10)) AS k(kind, one_in)
WHERE r.status = 'completed' AND (r.due_on - DATE '2000-01-01') %% k.one_in = 0;
"""


def seed(today: datetime.date) -> None:
    call_command("migrate", verbosity=0)
    team = CareTeam.objects.create(name="Bench team")
    coordinator = User.objects.create(
        username="cora", first_name="Cora", last_name="Bench", role=Role.COORDINATOR, email="cora@example.nhs.uk"
    )
    coordinator.teams.add(team)
    approver = User.objects.create(username="abe", first_name="Abe", last_name="Bench", role=Role.APPROVER)
    User.objects.create(username="lee", first_name="Lee", last_name="Bench", role=Role.LEAD, email="lee@example.nhs.uk")
    person = Person.objects.create(
        nhs_number=test_range_number(0),
        given_name="Jane",
        family_name="Smith",
        date_of_birth=datetime.date(1958, 3, 14),
        address_line_1="1 Bench Street",
        town="Leeds",
        postcode="LS1 4AP",
        care_team=team,
        lead_coordinator=coordinator,
    )
    version = services.plan_submit(
        version=complete_plan(person=person, coordinator=coordinator), acting_user=coordinator
    )
    version = approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=approver
    )
    review = Review.objects.get(plan_version=version)
    params = {
        "people": PEOPLE,
        "plans": PLANS,
        "reviews": REVIEWS,
        "person": str(person.pk),
        "plan": str(version.plan_id),
        "version": str(version.pk),
        "review": str(review.pk),
        "today": today,
    }
    # The journey facts' INSERT triggers (casework.facts) are off while the load runs, and everyone's facts are
    # worked out once at the end. Left on, each big INSERT works out the facts of every person it touches in one
    # statement planned from statistics taken before the rows it adds: after the 50,000 earlier versions (all
    # superseded) no version is 'ending' as far as the planner knows, so for the 150,000 current ones it looked
    # for each person's 'ending' version by reading the whole of the partial index plan_one_active_version
    # (every active and ending version) and filtering it: 130 ms a person, 1,000 people in 218 s, some five hours
    # for 150,000. An ANALYZE after each statement cannot help, as it comes after the trigger has run.
    triggers = [f"{table}_journey_insert" for table in facts.SOURCES]
    with connection.cursor() as cursor:
        for table, trigger in zip(facts.SOURCES, triggers, strict=True):
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        try:
            for statement in SEED.split(";\n"):
                if statement.strip():
                    cursor.execute(statement, params)
        finally:
            for table, trigger in zip(facts.SOURCES, triggers, strict=True):
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        # The facts of everyone, as a migration works them out afresh, planned from the loaded tables' statistics
        # (people with no plan get a row of empty facts, as they would from that migration).
        cursor.execute("ANALYZE")
        cursor.execute(facts.refresh_everyone_sql())
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")  # the load's writes are on disk before anything is timed


def explain_claim(today: datetime.date) -> None:
    """The claim's plan on this data, rolled back."""
    captured = {}

    def capture(execute, sql, params, many, context):
        if sql.startswith("INSERT"):
            captured.update(sql=sql, params=params)
        return execute(sql, params, many, context)

    with transaction.atomic():
        with connection.execute_wrapper(capture):
            reminders.claim_due_reminders(today=today)
        transaction.set_rollback(True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + captured["sql"], captured["params"])
        print("\n".join(row[0] for row in cursor.fetchall()))
        transaction.set_rollback(True)


published = []
after_task_publish.connect(lambda sender=None, **kwargs: published.append(sender), weak=False)


def timed_sweep(today: datetime.date) -> tuple[int, float, outbox.Queued, float, int]:
    """The sweep as Celery beat runs it (reminders.sweep), timed in its two parts; and its calls to Redis."""
    published.clear()
    start = time.perf_counter()
    claimed = reminders.claim_due_reminders(today=today)
    claiming = time.perf_counter() - start
    start = time.perf_counter()
    queued = reminders.queue_due()
    queueing = time.perf_counter() - start
    return claimed, claiming, queued, queueing, len(published)


def worker_process(sink_address, log_path: Path) -> subprocess.Popen:
    host, port = sink_address
    env = {
        **os.environ,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": host,
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
    }
    command = [str(Path(sys.executable).with_name("celery")), "-A", "phb", "worker", "--pool=prefork"]
    command += ["--concurrency=1", "-Q", QUEUE, "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    command += ["--without-heartbeat"]
    return subprocess.Popen(  # noqa: S603 (our own command line)
        command, cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT
    )


def drain(today: datetime.date, client, backlog: list) -> None:
    rows = len(backlog)
    sink = start_sink()
    log = ROOT / "var" / "bench_reminders_worker.log"
    log.parent.mkdir(exist_ok=True)
    worker = worker_process(sink.server_address, log)
    try:
        while "ready." not in log.read_text():
            if worker.poll() is not None:
                raise SystemExit(f"The Celery worker did not start:\n{log.read_text()}")
            time.sleep(0.2)
        start = time.monotonic()
        seen, sweeps = [], 0
        unsent = rows
        while unsent and time.monotonic() - start < 3600:
            time.sleep(SWEEP_EVERY)
            for aged in (False, True):
                if aged:  # as if the backlog had waited in Redis longer than a task lives
                    ReviewReminder.objects.filter(queued_at__isnull=False).update(
                        queued_at=F("queued_at") - outbox.QUEUE_AGAIN_AFTER - datetime.timedelta(minutes=1)
                    )
                unsent = ReviewReminder.objects.filter(sent_at__isnull=True).count()
                waiting, _messages = ids_waiting_in_redis(client, QUEUE, tasks.send_review_reminders.name)
                seen.append((waiting, unsent))
                reminders.sweep(today=today)
                sweeps += 1
        drained = time.monotonic() - start
        while len(sink.keys) < rows and time.monotonic() - start < drained + 10:
            time.sleep(0.2)
        keys = list(sink.keys)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        stop_sink(sink)
    expected = {outbox.idempotency_key(row) for row in ReviewReminder.objects.filter(pk__in=backlog)}
    once = len(keys) == len(set(keys)) == rows and set(keys) == expected
    most, unsent_then = max(seen)
    print(
        f"Drain, one worker (one process) to a local SMTP server: {rows:,} reminders sent in {drained:.0f} s, "
        f"{rows / drained:.0f} a second; {sweeps} sweeps during it (every {SWEEP_EVERY:g} s, half with the marks "
        f"aged past QUEUE_AGAIN_AFTER); the most reminder ids waiting in Redis at any sweep: {most:,}, with "
        f"{unsent_then:,} unsent (never more than unsent: {'yes' if all(w <= u for w, u in seen) else 'NO'}); "
        f"every reminder sent exactly once: {'yes' if once else 'NO'}"
    )


def main() -> None:
    today = timezone.localdate()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    start = time.perf_counter()
    seed(today)
    print(
        f"Seeded {Person.objects.count():,} people, {PLANS:,} plans, {Review.objects.count():,} reviews and "
        f"{ReviewReminder.objects.count():,} reminders sent before in {time.perf_counter() - start:.0f} s"
    )
    if os.environ.get("BENCH_EXPLAIN") == "1":
        explain_claim(today)
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(QUEUE)

    claimed, claiming, queued, queueing, calls = timed_sweep(today)
    waiting, messages = ids_waiting_in_redis(client, QUEUE, tasks.send_review_reminders.name)
    total = claiming + queueing
    print(
        f"Reminder sweep over {REVIEWS:,} reviews, first run: {claimed:,} reminders claimed in {claiming:.2f} s, "
        f"{queued.queued:,} queued in {queueing:.2f} s in {queued.tasks:,} tasks ({calls:,} calls to Redis); "
        f"{total:.2f} s in all (target {TARGET_SECONDS:g} s: {'met' if total <= TARGET_SECONDS else 'NOT met'}). "
        f"Redis then holds {waiting:,} reminder ids in {messages:,} messages"
    )
    again, claiming, queued_again, queueing, calls = timed_sweep(today)
    waiting, messages = ids_waiting_in_redis(client, QUEUE, tasks.send_review_reminders.name)
    print(
        f"Second run at once: {again} claimed in {claiming:.2f} s, {queued_again.queued} queued in {queueing:.2f} s "
        f"({calls} calls to Redis); {claiming + queueing:.2f} s in all. Redis still holds {waiting:,} reminder ids"
    )
    assert again == 0 and queued_again.queued == 0 and waiting == claimed
    if DRAIN:
        drain(today, client, list(ReviewReminder.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)))
    client.delete(QUEUE)
    print(f"Load average at the end: {os.getloadavg()[0]:.1f} (times grow with it; compare runs at a like load)")


try:
    main()
finally:
    connection.close()
    if os.environ.get("BENCH_KEEP") != "1":
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {NAME}")
    admin.close()
