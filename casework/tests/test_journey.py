"""The top of the person page: the journey's task list as a table over the stages, and the summary card and
task list as the page shows them for people at several stages, built through the services."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from careplans import approval
from careplans.tests.factories import approved_plan
from casework.journey import (
    CANNOT_START,
    DONE,
    NOT_DUE_YET,
    NOT_NEEDED,
    NOT_STARTED,
    STEP_OF_STAGE,
    Step,
    money_of,
    steps_of,
)
from casework.stages import SHAPES, Stage, Where
from casework.tests.test_stages import active_without_review_due, someone, starting_later
from eligibility.tests.factories import referral
from phb.money import weekly
from tests import page_data as data

DAY = datetime.timedelta(days=1)
ON = datetime.date(2026, 12, 24)

# Each step's status in words, in journey order: screening, assessment, indicative budget, support plan,
# approval, in use, reviews. "*" is the stage's own tag (its label, in its colour from stages.SHAPES).
S = "*"
TABLE = [
    (Stage.NEW, False, [S, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED]),
    (Stage.NOT_ELIGIBLE, False, [S] + [CANNOT_START] * 6),
    (Stage.REFERRED, False, [S, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED]),
    (Stage.SCREENED, False, [DONE, S, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED]),
    (Stage.ASSESSED, False, [DONE, S, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED]),
    (Stage.BUDGET_WAITING, False, [DONE, DONE, S, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED]),
    (Stage.BUDGET_READY, False, [DONE, DONE, S, NOT_STARTED, NOT_STARTED, NOT_STARTED, NOT_STARTED]),
    (Stage.PLAN_DRAFT, False, [DONE, DONE, DONE, S, NOT_STARTED, NOT_STARTED, NOT_STARTED]),
    (Stage.PLAN_RETURNED, False, [DONE, DONE, DONE, S, NOT_STARTED, NOT_STARTED, NOT_STARTED]),
    (Stage.PLAN_SUBMITTED, False, [DONE, DONE, DONE, DONE, S, NOT_STARTED, NOT_STARTED]),
    (Stage.APPROVED, False, [DONE, DONE, DONE, DONE, S, NOT_STARTED, NOT_STARTED]),
    (Stage.ACTIVE, True, [DONE, DONE, DONE, DONE, DONE, S, NOT_DUE_YET]),
    (Stage.REVIEW_DUE, True, [DONE, DONE, DONE, DONE, DONE, "Active", S]),
    (Stage.REVIEW_OVERDUE, True, [DONE, DONE, DONE, DONE, DONE, "Active", S]),
    (Stage.ENDING, True, [DONE, DONE, DONE, DONE, DONE, S, NOT_NEEDED]),
    (Stage.ENDED, False, [DONE, DONE, DONE, DONE, DONE, S, NOT_NEEDED]),
    # A change to a plan in force: the plan stays "Active" while the change is written or decided.
    (Stage.PLAN_DRAFT, True, [DONE, DONE, DONE, S, NOT_STARTED, "Active", NOT_DUE_YET]),
    (Stage.PLAN_RETURNED, True, [DONE, DONE, DONE, S, NOT_STARTED, "Active", NOT_DUE_YET]),
    (Stage.PLAN_SUBMITTED, True, [DONE, DONE, DONE, DONE, S, "Active", NOT_DUE_YET]),
    (Stage.APPROVED, True, [DONE, DONE, DONE, DONE, S, "Active", NOT_DUE_YET]),
]
COLOURS = {
    DONE: "green",
    NOT_STARTED: "grey",
    NOT_DUE_YET: "grey",
    "Active": "green",
    CANNOT_START: None,
    NOT_NEEDED: None,
}


@pytest.mark.parametrize(
    ("stage", "running", "expected"), TABLE, ids=[f"{stage.slug}{', in force' if r else ''}" for stage, r, _ in TABLE]
)
def test_it_gives_each_step_its_status_from_the_stage(stage, running, expected):
    where = Where(stage, ON)
    states = steps_of(where, running=running)
    assert [state.step for state in states] == list(Step)
    assert [state.label for state in states] == [where.label if word == S else word for word in expected]
    colours = [where.colour if word == S else COLOURS[word] for word in expected]
    assert [state.colour for state in states] == colours
    assert states[STEP_OF_STAGE[stage] - 1].colour == SHAPES[stage].colour


def test_the_table_covers_every_stage():
    assert {stage for stage, _, _ in TABLE} == set(Stage)


def money(**values):
    return money_of(**{"in_force_annual": None, "in_force_money": None, "budget_unusable": None, **values})


def test_the_money_is_the_plan_in_force_then_a_usable_budget_then_why_not():
    in_force = money(
        in_force_annual=Decimal("8082.14"), in_force_money="notional,direct_payment,notional", budget_annual=1
    )
    assert (in_force.annual, in_force.agreed, in_force.weekly) == (Decimal("8082.14"), True, Decimal("155.00"))
    assert in_force.options == ("Direct payment", "Notional budget (the NHS arranges it)")
    usable = money(budget_annual=Decimal("365.00"))
    assert (usable.annual, usable.agreed, usable.weekly, usable.options) == (Decimal("365.00"), False, Decimal("7"), ())
    waiting = money(budget_annual=Decimal("1"), budget_unusable="Sign it off")
    assert (waiting.annual, waiting.unusable) == (None, "Sign it off")
    assert money(budget_annual=None).unusable is None
    ended = money(budget_annual=Decimal("1"), ended=True)
    assert (ended.annual, ended.ended) == (None, True)


# The page


@pytest.fixture
def w(north, alice, priya, leo, monkeypatch):
    monkeypatch.setattr("careplans.approval.render_pdf", lambda template, context: data.STAND_IN_PDF)
    return data.World(team=north, coordinator=alice, approver=priya, lead=leo)


def page(client, w, person) -> str:
    client.force_login(w.coordinator)
    response = client.get(reverse("people:detail", kwargs={"pk": person.pk}))
    assert response.status_code == 200
    return response.content.decode()


def summary(html: str) -> dict[str, str]:
    """The summary card's rows as text: key -> value (tags kept as [colour: words])."""
    card = html.split('data-testid="summary"', 1)[1].split("</dl>", 1)[0]
    rows = re.findall(r'<dt class="nhsuk-summary-list__key">(.*?)</dt><dd[^>]*>(.*?)</dd>', card, re.S)
    return {key: text(value) for key, value in rows}


def tasks(html: str) -> dict[str, str]:
    """The task list: each step's key -> its status as text."""
    found = re.findall(r'data-testid="journey-(\w+)">(.*?)</div>', html, re.S)
    return {key: text(value) for key, value in found}


def text(fragment: str) -> str:
    fragment = re.sub(r'<strong class="nhsuk-tag nhsuk-tag--(\w+)"[^>]*>(.*?)</strong>', r"[\1: \2]", fragment)
    fragment = re.sub(r"<br>", " / ", fragment)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment)).strip()


def links(html: str) -> list[str]:
    journey = html.split('data-testid="journey"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'class="nhsuk-link nhsuk-task-list__link" href="([^"]+)"', journey)


def test_someone_referred(client, w):
    person = someone(w, "Referred")
    screening = referral(person=person, coordinator=w.coordinator)
    html = page(client, w, person)
    card = summary(html)
    assert card["Name"] == "Referred Stage"
    assert card["NHS number"] == person.nhs_number_display
    assert card["Lead coordinator"] == f"{w.coordinator.display_name} / {w.team.name}"
    assert card["Stage"] == "[blue: Referred to the PHB team]"
    assert card["Next action"] == "Decide on the referral (PHB team)"
    assert card["Next review"] == "None booked"
    assert card["Budget"] == "None yet"
    assert card["How the money is managed"] == "No plan in force"
    assert tasks(html) == {
        "screening": "[blue: Referred to the PHB team]",
        "assessment": "[grey: Not started]",
        "budget": "[grey: Not started]",
        "plan": "[grey: Not started]",
        "approval": "[grey: Not started]",
        "active": "[grey: Not started]",
        "reviews": "[grey: Not started]",
    }
    assert links(html) == [reverse("eligibility:detail", kwargs={"pk": screening.pk})]


def test_someone_whose_plan_was_returned(client, w):
    person = someone(w, "Returned")
    returned = data.submit(w, data.draft_plan(w, person))
    approval.plan_return(version=returned, reason="Say more about the risks", acting_user=w.approver)
    html = page(client, w, person)
    card = summary(html)
    budget = person.budget_versions.get()
    assert card["Stage"] == "[orange: Plan returned for changes]"
    assert card["Next action"] == "Make the changes asked for and submit the plan again (Care coordinator)"
    assert card["Budget"].startswith(f"£{budget.annual_amount:,} a year (£{weekly(budget.annual_amount):,} a week)")
    assert "Indicative budget" in card["Budget"]
    assert card["How the money is managed"] == "No plan in force"
    assert tasks(html) == {
        "screening": "[green: Completed]",
        "assessment": "[green: Completed]",
        "budget": "[green: Completed]",
        "plan": "[orange: Plan returned for changes]",
        "approval": "[grey: Not started]",
        "active": "[grey: Not started]",
        "reviews": "[grey: Not started]",
    }
    draft = returned.plan.versions.get(number=returned.number + 1)
    assert reverse("careplans:version", kwargs={"pk": draft.pk}) in links(html)
    assert reverse("careplans:version", kwargs={"pk": returned.pk}) in links(html)
    # A plan is going: no second one may be started (careplans.selectors.budgets_to_start_on).
    assert "Start a support plan" not in html


def test_someone_active_with_a_review_overdue(client, w):
    person = someone(w, "Overdue")
    # Plans start on 1 April 2026: their first review is overdue.
    active = approved_plan(person=person, coordinator=w.coordinator, approver=w.approver)
    due = active.plan.reviews.get().due_on
    html = page(client, w, person)
    card = summary(html)
    assert card["Stage"] == "[red: Review overdue]"
    assert card["Next action"] == f"Review the plan with them: it was due by {due:%-d %B %Y} (Care coordinator)"
    assert card["Next review"] == f"Due by {due:%-d %B %Y}"
    assert card["Budget"] == (
        f"£{active.agreed_annual:,} a year (£{weekly(active.agreed_annual):,} a week) / Agreed in the plan in force"
    )
    options = set(active.items.values_list("money_option", flat=True))
    assert card["How the money is managed"] and len(card["How the money is managed"].split("; ")) == len(options)
    assert tasks(html) == {
        "screening": "[green: Completed]",
        "assessment": "[green: Completed]",
        "budget": "[green: Completed]",
        "plan": "[green: Completed]",
        "approval": "[green: Completed]",
        "active": "[green: Active]",
        "reviews": "[red: Review overdue]",
    }
    assert reverse("careplans:plan_reviews", kwargs={"pk": active.plan.pk}) in links(html)
    assert "Start a support plan" not in html


def test_someone_whose_budget_ended(client, w):
    person = someone(w, "Ended")
    active = active_without_review_due(w, person)
    approval.plan_end(
        version=active,
        reason="consent_withdrawn",
        ended_on=timezone.localdate(),
        note="",
        unspent_to_repay=None,
        acting_user=w.coordinator,
    )
    html = page(client, w, person)
    card = summary(html)
    assert card["Stage"] == "[grey: Ended]"
    assert card["Next action"] == "Nothing"
    assert card["Next review"] == "None booked"
    assert card["Budget"] == "Ended / Work out a new indicative budget to start again"
    assert card["How the money is managed"] == "No plan in force"
    assert tasks(html) == {
        "screening": "[green: Completed]",
        "assessment": "[green: Completed]",
        "budget": "[green: Completed]",
        "plan": "[green: Completed]",
        "approval": "[green: Completed]",
        "active": "[grey: Ended]",
        "reviews": NOT_NEEDED,
    }
    assert reverse("careplans:version", kwargs={"pk": active.pk}) in links(html)


def test_someone_whose_plan_is_approved_to_start_later(client, w):
    person = someone(w, "Later")
    approved = data.approve(w, starting_later(w, data.draft_plan(w, person)))
    approved.refresh_from_db()
    html = page(client, w, person)
    card = summary(html)
    assert card["Stage"].startswith("[green: Plan approved")
    # The agreed amount the person will have, not the indicative budget the plan was written from.
    assert card["Budget"] == (
        f"£{approved.agreed_annual:,} a year (£{weekly(approved.agreed_annual):,} a week) / "
        f"Agreed in the plan that starts on {approved.start_date:%-d %B %Y}"
    )
    assert card["How the money is managed"].endswith(f"From {approved.start_date:%-d %B %Y}")
    assert tasks(html)["reviews"] == "[grey: Not started]"


def test_an_active_plan_reviewed_says_its_reviews_are_not_due_yet(client, w):
    person = someone(w, "Reviewed")
    active_without_review_due(w, person)
    assert tasks(page(client, w, person))["reviews"] == "[grey: Not due yet]"
