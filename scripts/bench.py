"""make bench: timings that do not belong in tests (this machine is shared and noisy).

Builds a throwaway SQLite database with a long support plan (about five pages)
through the real services, then renders its PDF several times and reports the
median and the page count. Also times the caseload query for 2,000 people.
"""

import datetime
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
work = tempfile.mkdtemp()
os.environ.update(DEBUG="true", DATABASE_URL=f"sqlite:///{work}/bench.sqlite3", DJANGO_SETTINGS_MODULE="phb.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.utils import timezone  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from careplans import letters, selectors, services  # noqa: E402
from careplans.tests.factories import add_item, add_outcome, budgeted, details  # noqa: E402
from people.models import CareTeam, Person, User  # noqa: E402
from people.nhs_number import test_range_number  # noqa: E402
from people.selectors import caseload_for  # noqa: E402
from phb.pdf import render_pdf  # noqa: E402
from phb.roles import Role  # noqa: E402


def timed(label, runs, action):
    times = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    print(f"{label}: median {statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms ({runs} runs)")
    return result, statistics.median(times)


call_command("migrate", verbosity=0)
team = CareTeam.objects.create(name="Bench team")
coordinator = User.objects.create(username="bench", first_name="Bench", last_name="Coordinator", role=Role.COORDINATOR)
coordinator.teams.add(team)
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
version = services.plan_start(
    person=person, budget_version=budgeted(person=person, coordinator=coordinator), acting_user=coordinator
)
version = services.plan_update(
    version=version,
    expected_revision=version.revision,
    acting_user=coordinator,
    care_coordinator=coordinator,
    **details(over_budget_justification="Bench: a long plan"),
)
outcomes = []
for n in range(10):
    version.refresh_from_db()
    outcomes.append(add_outcome(version, coordinator, goal=f"Outcome {n}: " + "something that matters to me. " * 6))
for n in range(45):
    version.refresh_from_db()
    add_item(
        version,
        coordinator,
        [outcomes[n % 10]],
        description=f"Support item {n} with a longer description",
        unit_cost="12.50",
        quantity="2",
    )

plan = selectors.version_with_details().get(pk=version.pk)
context = letters.plan_document_context(plan, today=timezone.localdate())
pdf, median = timed("Plan PDF", 5, lambda: render_pdf("careplans/plan_pdf.html", context))
pages = len(PdfReader(io.BytesIO(pdf)).pages)
print(
    f"Plan PDF: {pages} pages, {len(pdf) // 1024} KiB; target under 1 s for a 5-page plan: "
    f"{'met' if median < 1 else 'NOT met'}"
)
timed("Plan HTML only", 5, lambda: render_to_string("careplans/plan_pdf.html", context))

Person.objects.bulk_create(
    Person(
        nhs_number=test_range_number(n),
        given_name=f"Person{n}",
        family_name=f"Family{n % 97}",
        date_of_birth=datetime.date(1950, 1, 1),
        address_line_1="1 Bench Street",
        town="Leeds",
        postcode="LS1 4AP",
        care_team=team,
    )
    for n in range(1, 2001)
)
timed("Caseload first page of 2,001 people", 20, lambda: list(caseload_for(user=coordinator)[:25]))
timed("Caseload search by name", 20, lambda: list(caseload_for(user=coordinator, query="family42")[:25]))
