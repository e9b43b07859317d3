"""make bench (PDF part): the support plan PDF at 2, 5 and 10 pages.

PDF time depends on the plan, not on the size of the database, so this builds
three plans through the real services in a throwaway SQLite database, each
grown an item at a time until its PDF has the number of pages wanted. Then, for
each: the first render in a fresh process (what each gunicorn worker pays once:
WeasyPrint's font and CSS set-up) and the median of 5 warm renders.

Prints a table and writes var/bench/pdf.json for the report (scripts/bench_http.py
report). BENCH_QUICK=1: 3 warm renders instead of 5. Target: a 5-page plan in
0.7 s or less (issue 12).
"""

import datetime
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench" / "pdf.json"
PAGES_WANTED = (2, 5, 10)
FIVE_PAGE_TARGET_S = 0.7
WARM_RUNS = 3 if os.environ.get("BENCH_QUICK") == "1" else 5
# About seven items a page with an outcome for every four items, so a plan
# starts a little short of its size and grows from there.
ITEMS_PER_PAGE = 7


def setup_django(database_path: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(DEBUG="true", DATABASE_URL=f"sqlite:///{database_path}", DJANGO_SETTINGS_MODULE="phb.settings")
    import django

    django.setup()
    # WeasyPrint warns on every render when HarfBuzz-Subset is missing; said once in the report instead.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)


def document_context(version_pk):
    from django.utils import timezone

    from careplans import letters, selectors

    version = selectors.version_with_details().get(pk=version_pk)
    return letters.plan_document_context(version, today=timezone.localdate())


def render(context) -> bytes:
    from phb.pdf import render_pdf

    return render_pdf("careplans/plan_pdf.html", context)


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def first_render(database_path: str, version_pk: str) -> None:
    """Run in a fresh process: the first PDF this process renders, timed alone."""
    setup_django(database_path)
    import phb.pdf  # noqa: F401  (imported at worker boot under gunicorn, so not timed)

    context = document_context(version_pk)
    start = time.perf_counter()
    render(context)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def harfbuzz_subset_missing() -> bool:
    """WeasyPrint falls back to fontTools (slower) to subset fonts without this library."""
    from weasyprint.text import ffi

    return ffi.harfbuzz_subset is None


def build_plan(number: int, pages: int):
    """A draft plan grown until its PDF has `pages` pages (or just passed it)."""
    from careplans import services
    from careplans.tests.factories import add_item, add_outcome, budgeted, details
    from people.models import CareTeam, Person, User
    from people.nhs_number import test_range_number
    from phb.roles import Role

    team, _ = CareTeam.objects.get_or_create(name="Bench team")
    coordinator, created = User.objects.get_or_create(
        username="bench", defaults={"first_name": "Bench", "last_name": "Coordinator", "role": Role.COORDINATOR}
    )
    if created:
        coordinator.teams.add(team)
    person = Person.objects.create(
        nhs_number=test_range_number(number),
        given_name="Jane",
        family_name=f"Smith{number}",
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
    items = 0

    def grow():
        nonlocal items
        version.refresh_from_db()
        if items % 4 == 0:
            outcomes.append(
                add_outcome(version, coordinator, goal=f"Outcome {len(outcomes) + 1}: " + "what matters to me. " * 8)
            )
            version.refresh_from_db()
        add_item(
            version,
            coordinator,
            [outcomes[-1]],
            description=f"Support item {items + 1} with a longer description",
            unit_cost="12.50",
            quantity="2",
        )
        items += 1

    for _ in range(max(1, ITEMS_PER_PAGE * (pages - 1) - 4)):
        grow()
    while True:
        got = page_count(render(document_context(version.pk)))
        if got >= pages:
            return version.pk, got, items, len(outcomes)
        grow()


def main() -> None:
    work = tempfile.mkdtemp()
    database_path = f"{work}/bench.sqlite3"
    setup_django(database_path)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"Plan PDF: building plans of {', '.join(map(str, PAGES_WANTED))} pages (SQLite, through the services)")
    plans = [build_plan(n, pages) for n, pages in enumerate(PAGES_WANTED)]

    results = []
    for wanted, (version_pk, pages, items, outcomes) in zip(PAGES_WANTED, plans, strict=True):
        fresh = subprocess.run(  # noqa: S603 (this script, again)
            [sys.executable, __file__, "--first-render", database_path, str(version_pk)],
            capture_output=True,
            text=True,
            check=True,
        )
        first = json.loads(fresh.stdout.strip().splitlines()[-1])["seconds"]
        context = document_context(version_pk)
        render(context)  # this process has rendered before; one more so every timed run is warm
        times = []
        for _ in range(WARM_RUNS):
            start = time.perf_counter()
            pdf = render(context)
            times.append(time.perf_counter() - start)
        results.append(
            {
                "pages_wanted": wanted,
                "pages": pages,
                "items": items,
                "outcomes": outcomes,
                "kib": len(pdf) // 1024,
                "first_s": first,
                "median_s": statistics.median(times),
                "best_s": min(times),
                "runs": WARM_RUNS,
            }
        )
    five = next(r for r in results if r["pages_wanted"] == 5)
    report = {
        "results": results,
        "target": {
            "five_page_s": FIVE_PAGE_TARGET_S,
            "met": five["median_s"] <= FIVE_PAGE_TARGET_S,
        },
        "harfbuzz_subset_missing": harfbuzz_subset_missing(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2))

    print(f"{'pages':>5} {'items':>5} {'outcomes':>8} {'KiB':>5} {'first render':>12} {'warm median':>11} {'best':>6}")
    for r in results:
        print(
            f"{r['pages']:>5} {r['items']:>5} {r['outcomes']:>8} {r['kib']:>5} {r['first_s']:>11.2f}s"
            f" {r['median_s']:>10.2f}s {r['best_s']:>5.2f}s"
        )
    verdict = "met" if report["target"]["met"] else "MISSED"
    print(f"Target: 5-page plan PDF ≤ {FIVE_PAGE_TARGET_S} s (warm median): {verdict} ({five['median_s']:.2f} s)")
    if report["harfbuzz_subset_missing"]:
        print("Note: WeasyPrint subsets fonts with fontTools: HarfBuzz-Subset (libharfbuzz-subset0) is missing.")
    print(f"Written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--first-render":
        first_render(sys.argv[2], sys.argv[3])
    else:
        main()
