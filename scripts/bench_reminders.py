"""make bench (part 2): the review reminder sweep against 1,000,000 reviews on PostgreSQL.

Seeds 1,000,000 reviews waiting to be done, about 2 % of them due within a reminder
window today, in a throwaway database (phb_bench), then times the sweep's claim:
the set-based inserts of one reminder row per (review, kind). Target: under 10 s.
"""

import datetime
import os
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
NAME = "phb_bench"
REVIEWS = int(os.environ.get("BENCH_REVIEWS", "1000000"))

admin = psycopg2.connect(f"{SERVER}/postgres")
admin.autocommit = True
with admin.cursor() as cursor:
    cursor.execute(f"DROP DATABASE IF EXISTS {NAME}")
    cursor.execute(f"CREATE DATABASE {NAME}")

os.environ.update(
    DEBUG="true", DATABASE_URL=f"{SERVER}/{NAME}", DJANGO_SETTINGS_MODULE="phb.settings", CELERY_QUEUE="phb-bench"
)
import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from careplans import approval, reminders, services  # noqa: E402
from careplans.models import ReviewReminder  # noqa: E402
from careplans.tests.factories import complete_plan  # noqa: E402
from people.models import CareTeam, Person, User  # noqa: E402
from people.nhs_number import test_range_number  # noqa: E402
from phb.roles import Role  # noqa: E402

try:
    call_command("migrate", verbosity=0)
    team = CareTeam.objects.create(name="Bench team")
    coordinator = User.objects.create(
        username="cora", first_name="Cora", last_name="Bench", role=Role.COORDINATOR, email="cora@example.nhs.uk"
    )
    coordinator.teams.add(team)
    approver = User.objects.create(username="abe", first_name="Abe", last_name="Bench", role=Role.APPROVER)
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
    today = timezone.localdate()
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO careplans_review (id, plan_id, plan_version_id, kind, due_on, status, reason, reason_note,
                created_at, money_notes, use_notes, safety_notes, satisfaction, decision)
            SELECT gen_random_uuid(), %s, %s, 'unscheduled',
                   %s::date + CASE WHEN g %% 50 = 0 THEN (g / 50) %% 56 - 28 ELSE 60 + g %% 300 END,
                   'due', 'health_changed', '', now(), '', '', '', '', ''
            FROM generate_series(1, %s) AS g
            """,
            [str(version.plan_id), str(version.pk), today, REVIEWS],
        )
        cursor.execute("ANALYZE careplans_review")
    print(f"Seeded {REVIEWS:,} reviews in {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    claimed = reminders.claim_due_reminders(today=today)
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = reminders.claim_due_reminders(today=today)
    second = time.perf_counter() - start
    print(
        f"Reminder sweep, claim: {claimed:,} reminders in {first:.2f} s "
        f"(target under 10 s: {'met' if first < 10 else 'NOT met'}); run again: {again} new in {second:.2f} s"
    )
    assert again == 0 and ReviewReminder.objects.count() == claimed
finally:
    connection.close()
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {NAME}")
    admin.close()
