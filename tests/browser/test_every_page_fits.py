"""Every page of the demo fits a 320 px wide screen and passes axe-core.

The demo (`seed_demo`: someone at every stage of the journey) is loaded once; the coordinator, the PHB
team member, the lead, the patient and the representative sign in (staff give their code), and they
open every page at 320 px wide: no horizontal scroll (`scrollWidth` within the window), and no serious
or critical axe-core finding. Every failing page is reported, not only the first, with what sticks out.

Which pages: the access matrix (tests/test_access_matrix.py) lists every URL pattern, the records that
fill its address and what each persona gets; every pattern one of these personas gets a page (200) for
is opened, filled from the demo's records (`demo_records`), unless SKIPPED says why not. A pattern no
persona gets a page for (a button, a redirect) has nothing to measure. A pattern the demo has no record
for fails the test, naming the record kind, so a new page is never left out silently.

Pages whose content follows the journey (a person's page, a plan version) are opened for every demo
person or version; the rest for the first VARIANTS records that fill them (people in PEOPLE_ORDER, the
richest first), each as the first persona who may see it; a list by the first LIST_PERSONAS who get it.
Every page is measured; axe-core (a second or more a page) runs on the first AXE_VARIANTS of a pattern's.
EXPECTED_TO_FAIL is strict: a page listed there that passes fails the test.
"""

import io
import re
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from people.demo import DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, sign_in
from tests.test_access_matrix import MATRIX, cells
from tests.url_walk import site_patterns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 320, 720
# The matrix's personas signed in here, in the order one is chosen to open a record's page.
PERSONAS = {"coord": "alice", "phb": "priya", "lead": "leo", "patient": "pat", "rep": None, "anon": None}
PDF = "a PDF, not a page (its content is tested against the data in the app's tests)"
SKIPPED = {
    "health": "JSON for load balancers",
    # Off in the demo (no provider configured): a 404. Their pages are opened, with axe, against the local provider
    # in tests/browser/test_nhs_login_journey.py and test_cis2_journey.py.
    "portal:nhs_login": "starts NHS login: a redirect to another site",
    "portal:accept_nhs_login": "starts NHS login from an invitation: a redirect to another site",
    "portal:nhs_login_callback": "NHS login's return: a redirect, or a refusal page opened by the NHS login journeys",
    "accounts:cis2": "starts CIS2: a redirect to another site",
    "accounts:cis2_callback": "CIS2's return: a redirect, or a refusal page opened by the CIS2 journey",
    "audit:export": "a CSV download",
    "payments:ledger": "a CSV download",
    "reports:return_csv": "a CSV download",
    "reports:outcomes_csv": "a CSV download",
    "reports:export_caseload": "a CSV download",
    "reports:export_plans": "a CSV download",
    "reports:export_reviews": "a CSV download",
    "eligibility:letter": PDF,
    "budgets:letter": PDF,
    "careplans:pdf": PDF,
    "careplans:fhir": "a FHIR JSON download, not a page (its content is validated in careplans/tests/test_fhir.py)",
    "careplans:letter": PDF,
    "portal:plan_pdf": PDF,
    "portal:letter": PDF,
    "portal:screening_letter": PDF,
    "portal:budget_letter": PDF,
    "payments:reclaim_letter": PDF,
    "payments:reclaim_decision_letter": PDF,
    "payments:receipt": "a receipt's file (a PDF or a picture)",
    "portal:receipt": "a receipt's file (a PDF or a picture)",
}
# Opened for every record that fills them; every other page for the first one (two for a draft: the
# returned one quotes the PHB team's reasons; the portal's for the patient and for the representative).
ALL = 1000
VARIANTS = {
    "people:detail": ALL,
    "careplans:version": ALL,
    "eligibility:detail": 4,
    "budgets:budget": 3,
    "people:history": 3,
    "careplans:edit": 2,
}


def variants(name: str) -> int:
    return VARIANTS.get(name, 2 if name.startswith("portal:") else 1)


# A page of its own (a list, a form) is opened by the first two personas who get it (lists differ by role).
LIST_PERSONAS = 2
# The version page is opened for every version, not only the active one the matrix names; the demo's
# versions to compare are a change agreed and the version it replaced.
TARGETS = {"careplans:version": "pk=version", "careplans:compare": "pk=plan ?from=superseded&to=active"}
# The demo's people by serial (people/demo.py), richest first: Eileen (a representative, messages, a review
# done, a change agreed), Sam (an assessment open to change), Jane (a draft, messages), Peter (returned)...
PEOPLE_ORDER = [4, 6, 0, 11, 1, 10, 9, 12, 17, 13, 14, 15, 16, 18, 5, 3, 8, 7, 2]

# Pages that fail today, each with why, for pages being rewritten in this issue by others. Strict: a page
# listed here that passes fails the test, so the entry is removed when the page is fixed.
EXPECTED_TO_FAIL: dict[str, str] = {}


# The page a link that no longer works shows is "Gone".
STATUS = {"portal:accept": 410}
# axe-core runs on the first few of a pattern's pages (the markup is the same; it takes a second a page).
AXE_VARIANTS = 1


@dataclass(frozen=True)
class Visit:
    name: str  # the URL pattern's name
    persona: str
    url: str


def demo_records():
    """[(person or None, {record kind: [records]})]: each demo person's records by the matrix's kinds,
    then the records that belong to no person."""
    from budgets.models import SignOff, Tariff
    from careplans.models import EndingRequest, EndingStatus, PlanVersion, Review, ReviewStatus, Status
    from eligibility.models import Decision
    from payments.models import ActionStatus, MoneyAction, PaymentRun, RunStatus, Suspension
    from people.demo import demo_person
    from people.models import User
    from portal.models import Invitation

    found = []
    for serial in PEOPLE_ORDER:
        person = demo_person(serial)
        versions = list(PlanVersion.objects.filter(plan__person=person).order_by("number"))
        assessment = person.assessments.order_by("-assessed_on", "-created_at").first()
        budget = person.budget_versions.order_by("-number").first()
        usable = budget is not None and budget.sign_off in SignOff.USABLE
        draft = next((v for v in versions if v.status in Status.EDITABLE), None)
        running = [v for v in versions if v.status in Status.RUNNING]
        kinds = {
            "person": [person],
            "screening": list(person.screenings.order_by("-screened_on")[:1]),
            "referral": list(person.screenings.filter(decision=Decision.AWAITING)),
            # An assessment still open to change: no budget from it that the person may be told.
            "assessment": [assessment] if assessment and not usable else [],
            "service": list(assessment.services.all()[:1]) if assessment and not usable else [],
            "budget": [budget] if usable else [],
            "awaiting": [budget] if budget and budget.sign_off == SignOff.AWAITING else [],
            "ready": [person] if usable and not versions else [],
            "plan": [running[0].plan] if running else [],  # a plan in force
            "version": versions,
            "active": running,
            "superseded": [v for v in versions if v.status == Status.SUPERSEDED],
            "submitted": [v for v in versions if v.status == Status.SUBMITTED],
            "draft": [draft] if draft else [],
            "outcome": list(draft.outcomes.all()[:1]) if draft else [],
            "item": list(draft.items.all()[:1]) if draft else [],
            "review": list(running[0].plan.reviews.filter(status=ReviewStatus.DUE)) if running else [],
            "done": list(Review.objects.filter(plan__person=person, status=ReviewStatus.COMPLETED)),
            "ending": list(EndingRequest.objects.filter(plan__person=person, status=EndingStatus.WAITING)),
            "access": list(person.portal_access.filter(revoked_at=None)),
            "invitation": list(Invitation.objects.filter(person=person, used_at=None)),
            "reclaim": list(MoneyAction.objects.filter(plan__person=person, status=ActionStatus.PROPOSED)[:1]),
            "hold": list(Suspension.objects.filter(plan__person=person, resumed_at=None)[:1]),
            "decided": list(
                MoneyAction.objects.filter(plan__person=person, decided_at__isnull=False).defer(
                    "letter_pdf", "decision_letter_pdf"
                )[:1]
            ),
        }
        found.append((person, kinds))
    found.append(
        (
            None,
            {
                "tariff": list(Tariff.objects.all()[:1]),
                "coordinator": [User.objects.get(username="alice")],
                "token": ["not-a-working-token"],  # the page that says the link does not work
                "run": list(PaymentRun.objects.filter(status=RunStatus.WAITING)[:1]),
                "confirmed": list(PaymentRun.objects.filter(status=RunStatus.CONFIRMED)[:1]),
            },
        )
    )
    return found


def targets(name: str) -> list[tuple[str, str]]:
    """(keyword or "?query", record kind) for each part of the pattern's address, as the matrix writes it."""
    parts = []
    for part in TARGETS.get(name, MATRIX[name].target).split():
        if part.startswith("?"):
            parts += [(f"?{key}", kind) for key, kind in (p.split("=") for p in part[1:].split("&"))]
        else:
            key, _, kind = part.partition("=")
            parts.append((key, kind))
    return parts


def combinations(kinds: dict, wanted: list[tuple[str, str]]):
    """Every way this person's records fill the address (several records of a kind give several)."""
    combos = [[]]
    for key, kind in wanted:
        if kind.startswith("'"):
            combos = [[*c, (key, kind.strip("'"))] for c in combos]
            continue
        combos = [[*c, (key, getattr(record, "pk", record))] for c in combos for record in kinds.get(kind, [])]
    return combos


def url_for(name: str, filled: list[tuple[str, object]]) -> str:
    kwargs = {key: value for key, value in filled if not key.startswith("?")}
    query = "&".join(f"{key[1:]}={value}" for key, value in filled if key.startswith("?"))
    return reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")


def sees(persona: str, person, users: dict) -> bool:
    """Whether the person is one of the persona's own records (the matrix's "own" column)."""
    if person is None or persona in {"phb", "lead"}:
        return True
    if persona == "coord":
        return person.care_team_id in set(users["coord"].teams.values_list("pk", flat=True))
    if persona in {"patient", "rep"}:
        return users[persona].portal_access.filter(person=person, revoked_at=None).exists()
    return False


def status_for(persona: str, name: str, person, users: dict) -> int:
    own, other = cells(MATRIX[name].get)[persona]
    return own if sees(persona, person, users) else other


def plan_visits(users: dict) -> tuple[list[Visit], dict[str, str]]:
    """Every page to open, and the patterns that could not be filled from the demo (with why)."""
    visits, unfilled = [], {}
    records = demo_records()
    for name in sorted({n for _, n in site_patterns() if n in MATRIX}):
        if name in SKIPPED:
            continue
        seers = [p for p in PERSONAS if cells(MATRIX[name].get)[p][0] == 200]
        if not seers:
            continue  # nobody gets a page: a button or a redirect
        wanted = targets(name)
        if not wanted:
            # A page of its own (a list, a form); a page anyone may open, once, signed out.
            for persona in ["anon"] if "anon" in seers else seers[:LIST_PERSONAS]:
                visits.append(Visit(name, persona, reverse(name)))
            continue
        urls = {}
        for person, kinds in records:
            for filled in combinations(kinds, wanted):
                url = url_for(name, filled)
                persona = next((p for p in seers if status_for(p, name, person, users) == 200), None)
                if persona and url not in urls and len(urls) < variants(name):
                    urls[url] = persona
        if not urls:
            kinds_wanted = sorted({kind for _, kind in wanted})
            unfilled[name] = f"no demo record that {', '.join(seers)} may open fills {kinds_wanted}"
        visits += [Visit(name, persona, url) for url, persona in urls.items()]
    return visits, unfilled


# What sticks out past the right edge, for the report: the innermost elements wider than the window.
WIDEST = """() => {
  const limit = window.innerWidth;
  const out = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > limit + 0.5);
  const inner = out.filter(e => ![...e.children].some(c => out.includes(c)));
  return inner.slice(0, 4).map(e => {
    const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
      [...e.classList].slice(0, 2).map(c => '.' + c).join('');
    return name + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)';
  });
}"""


def overflow(page) -> str | None:
    """What makes the page scroll sideways, or None when it fits the window."""
    wide, window = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if wide <= window:
        return None
    return f"{wide} px wide at {window} px, scrolls sideways: {', '.join(page.evaluate(WIDEST))}"


def problems_on(page, visit: Visit, *, axe: bool) -> list[str]:
    url = visit.url
    response = page.goto(url)
    status = response.status if response else None
    if status != STATUS.get(visit.name, 200):
        return [f"{url}: answered {status or 'nothing'}, not the page"]
    # Measured once the page has settled: the header folds its links into "More" as the page loads.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    found = [f"{url}: {wider}" for wider in [overflow(page)] if wider]
    if axe:
        try:
            assert_accessible(page)
        except AssertionError as problem:
            found.append(re.sub(r"\s+", " ", str(problem)))
    return found


def test_the_width_check_catches_a_page_wider_than_the_screen(page):
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.set_content('<html lang="en"><body><main><table id="wide"><tr><td>' + "x" * 80 + "</td></tr></table>")
    assert overflow(page).startswith(f"{page.evaluate('document.documentElement.scrollWidth')} px wide at 320 px")
    assert "table#wide" in overflow(page) or "td" in overflow(page)
    page.set_content('<html lang="en"><body><main><p>' + "word " * 80 + "</p></main></body></html>")
    assert overflow(page) is None


@pytest.fixture
def demo(monkeypatch, seeded_cohorts):
    """The demo, with stand-in letters (this test opens no PDF; making real ones takes a while)."""
    from tests.page_data import STAND_IN_PDF

    monkeypatch.setattr("careplans.approval.render_pdf", lambda template, context: STAND_IN_PDF)
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())


def test_every_page_of_the_demo_fits_a_small_screen_and_passes_axe(browser, live_server, demo):
    from people.models import User
    from portal.demo import REPRESENTATIVE

    users = {persona: User.objects.get(username=username) for persona, username in PERSONAS.items() if username}
    users["rep"] = User.objects.get(username=REPRESENTATIVE)
    visits, unfilled = plan_visits(users)
    failures = {name: [why] for name, why in unfilled.items()}
    checked = {}
    for persona in PERSONAS:
        mine = [visit for visit in visits if visit.persona == persona]
        if not mine:
            continue
        context = browser.new_context(base_url=live_server.url, viewport={"width": WIDTH, "height": HEIGHT})
        context.set_default_timeout(15_000)
        page = context.new_page()
        if persona != "anon":
            sign_in(page, users[persona].username, DEMO_PASSWORD)
            page.wait_for_url(lambda url: "/sign-in/" not in url)
        for visit in mine:
            checked[visit.name] = checked.get(visit.name, 0) + 1
            for problem in problems_on(page, visit, axe=checked[visit.name] <= AXE_VARIANTS):
                failures.setdefault(visit.name, []).append(f"as {persona}: {problem}")
        context.close()

    unexpected = {name: found for name, found in failures.items() if name not in EXPECTED_TO_FAIL}
    now_passing = sorted(set(EXPECTED_TO_FAIL) - set(failures))
    report = [f"{name}:\n  " + "\n  ".join(found) for name, found in sorted(unexpected.items())]
    report += [f"{name} passes now: remove it from EXPECTED_TO_FAIL" for name in now_passing]
    assert not report, f"{len(visits)} pages opened; these fail:\n" + "\n".join(report)
    assert len(visits) > 60
