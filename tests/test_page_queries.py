"""Every HTML page runs at most 8 queries whatever the number of rows, and no list renders more than a page.

Two targets of issue 12 ("national scale"), for every page of the staff site and the portal:

- each page is built with 5 rows and with 50 rows of what it lists or shows and opened as the persona who
  uses it; the number of queries (everything the request does: the session, the user, the audit row)
  must be at most MAX_QUERIES and the same for 5 and 50;
- each list, opened by someone who sees everyone, with more rows than a page holds (PAGE_SIZE), must
  render at most PAGE_SIZE rows and less than MAX_HTML bytes.

PAGES names every URL pattern that serves a page; NOT_PAGES names the rest with the reason. A new URL
pattern in neither fails `test_every_url_pattern_is_a_page_here_or_has_a_reason`, so new pages are
covered too. The data comes from tests/page_data.py (the services, bulk inserts where safe).
"""

import re
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets.models import Tariff
from payments import holds as payment_holds
from people.tests import personas
from phb import freshness, prepared
from portal import services as portal_services
from tests import page_data as data
from tests.url_walk import site_patterns

pytestmark = pytest.mark.django_db

# The same for staff and for people: a staff session's second factor is read from the session, without
# a query (twofactor.middleware.SessionFactorMiddleware).
MAX_QUERIES = 8
# Pages allowed more, each with why. "Messages not sent" reads each kind of outbox row with its own joins, one
# query a kind (careplans.emails.failed_messages), the same for 5 rows or 5,000: with five kinds (decision
# e-mails, review and statement reminders, notices to people, letters posted) that is 9.
MORE_QUERIES = {"careplans:failed_messages": 4 + 5}


# The lists are about to be paginated; a page is assumed to hold at most this many rows.
PAGE_SIZE = 50
MAX_HTML = 500 * 1024
FEW, MANY = 5, 50
# More rows than one page holds, for the size test.
MORE_THAN_A_PAGE = PAGE_SIZE + 10


@dataclass(frozen=True)
class Visit:
    """Who opens which address (user None: someone not signed in)."""

    user: object
    url: str


@dataclass(frozen=True)
class Page:
    id: str  # the test id
    route: str  # the URL pattern's name
    rows: str  # what there are 5 and 50 of
    # Builds the data and returns the visit to a page showing n rows. A list's builder tops the list up
    # to n rows; a record's builder makes (or takes from `records`) a record with n rows.
    build: Callable[[data.World, int], Visit]
    # For a list: the persona who sees every row (the size test opens the list as them).
    sees_everyone: str = ""


def stand_in_letters(patch) -> None:
    patch.setattr("careplans.approval.render_pdf", lambda template, context: data.STAND_IN_PDF)
    patch.setattr("payments.reclaims.render_pdf", lambda template, context: data.STAND_IN_PDF)


@pytest.fixture
def w(north, alice, priya, leo, monkeypatch) -> data.World:
    stand_in_letters(monkeypatch)
    return data.World(team=north, coordinator=alice, approver=priya, lead=leo)


@pytest.fixture(scope="module")
def records(django_db_setup, django_db_blocker):
    """Two whole records, one with 5 rows of everything and one with 50, built once for the pages that
    only read them: a plan agreed 50 times takes a while. The module's tests run inside this transaction,
    each in its own savepoint, so what one test's requests write is gone before the next.

    The personas are conftest's (the factories find them by name, so each test's Alice is this Alice).
    """
    from people.tests.factories import CareTeamFactory, UserFactory
    from phb.roles import Role

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=personas.FAST_PASSWORD_HASHERS),
        pytest.MonkeyPatch.context() as patch,
        transaction.atomic(),
    ):
        stand_in_letters(patch)
        north = CareTeamFactory(name="North Leeds community team")
        world = data.World(
            team=north,
            coordinator=UserFactory(username="alice", first_name="Alice", last_name="Adams", teams=[north]),
            approver=UserFactory(username="priya", first_name="Priya", last_name="Patel", role=Role.APPROVER),
            lead=UserFactory(username="leo", first_name="Leo", last_name="Lewis", role=Role.LEAD),
        )
        yield {n: data.whole_record(world, n) for n in (FEW, MANY)}
        transaction.set_rollback(True)


# The pages, route by route. Builders return what to open; see tests/page_data.py for the rows.


def caseload(w, n):
    data.caseload(w, n)
    return Visit(w.coordinator, reverse("casework:caseload"))


def caseload_for_everyone(w, n):
    data.caseload(w, n)
    return Visit(w.approver, reverse("casework:caseload"))


def caseload_filtered(w, n):
    """The team's caseload filtered by stage and engagement support, sorted by the next action's date."""
    data.caseload(w, n)
    query = "?show=team&stage=new&support=not_assessed&sort=-next"
    return Visit(w.coordinator, reverse("casework:caseload") + query)


def caseload_search(w, n):
    data.caseload(w, n)
    return Visit(w.coordinator, reverse("casework:caseload") + f"?q={data.MARK}")


def work_tray(persona, build):
    """A home page's work tray with n rows of what `build` makes (the oldest few of each shown)."""

    def visit(w, n):
        build(w, n)
        return Visit(getattr(w, persona), reverse("casework:home"))

    return visit


def person_add(w, n):
    data.coordinators(w, n)
    return Visit(w.coordinator, reverse("people:add"))


def person_page(w, n):
    return Visit(w.coordinator, reverse("people:detail", kwargs={"pk": w.records[n].person.pk}))


def person_page_new(w, n):
    """A person just added: no screening, budget, plan or online access (each panel's empty state)."""
    data.caseload(w, n)
    return Visit(w.coordinator, reverse("people:detail", kwargs={"pk": data.person(w).pk}))


def person_edit(w, n):
    data.coordinators(w, n)
    return Visit(w.coordinator, reverse("people:edit", kwargs={"pk": data.person(w).pk}))


def person_history(w, n):
    """Changes to the record (shown by default, each named in words) and views of it (left out)."""
    someone = data.person(w)
    data.record_views(w, someone, n)
    data.record_changes(w, someone, n)
    return Visit(w.coordinator, reverse("people:history", kwargs={"pk": someone.pk}))


def person_history_with_views(w, n):
    someone = data.person(w)
    data.record_views(w, someone, n)
    return Visit(w.coordinator, reverse("people:history", kwargs={"pk": someone.pk}) + "?views=shown")


def screening_new(w, n):
    data.cohorts(w, n)
    someone = data.person(w)
    data.screenings(w, someone, n)
    return Visit(w.coordinator, reverse("eligibility:new", kwargs={"person_pk": someone.pk}))


def screening_detail(w, n):
    screening = data.referral_with(w, data.person(w), n)
    return Visit(w.coordinator, reverse("eligibility:detail", kwargs={"pk": screening.pk}))


def screening_decide(w, n):
    screening = data.referral_with(w, data.person(w), n)
    return Visit(w.approver, reverse("eligibility:decide", kwargs={"pk": screening.pk}))


def referrals(w, n):
    data.referrals(w, n)
    return Visit(w.approver, reverse("eligibility:queue"))


def assessment_new(w, n):
    someone = data.person(w)
    data.assessments(w, someone, n)
    return Visit(w.coordinator, reverse("budgets:assessment_new", kwargs={"person_pk": someone.pk}))


def assessment_page(route, kwarg="pk"):
    def build(w, n):
        assessment = data.assessment_with_services(w, data.person(w), n)
        data.tariffs(w, 1)
        return Visit(w.coordinator, reverse(route, kwargs={kwarg: assessment.pk}))

    return build


def service_edit(w, n):
    assessment = data.assessment_with_services(w, data.person(w), n)
    return Visit(w.coordinator, reverse("budgets:service_edit", kwargs={"pk": assessment.services.first().pk}))


def budget_page(w, n):
    data.tariffs(w, 1)
    budget = data.budget_from(w, data.assessment_with_services(w, data.person(w), n), sign_off=True)
    return Visit(w.approver, reverse("budgets:budget", kwargs={"pk": budget.pk}))


def sign_off_queue(w, n):
    data.awaiting_sign_off(w, n)
    return Visit(w.approver, reverse("budgets:sign_off_queue"))


def tariff_list(w, n):
    data.tariffs(w, n)
    return Visit(w.lead, reverse("budgets:tariffs"))


def tariff_new(w, n):
    data.tariffs(w, n)
    return Visit(w.lead, reverse("budgets:tariff_new"))


def tariff_edit(w, n):
    data.tariffs(w, n)
    return Visit(w.lead, reverse("budgets:tariff_edit", kwargs={"pk": Tariff.objects.order_by("pk").first().pk}))


def plan_new(w, n):
    someone = data.person(w)
    data.budget_versions(w, someone, n)
    return Visit(w.coordinator, reverse("careplans:new", kwargs={"person_pk": someone.pk}))


def plan_version(w, n):
    return Visit(w.coordinator, reverse("careplans:version", kwargs={"pk": w.records[n].active.pk}))


def draft_page(route, kwarg, pick):
    def build(w, n):
        draft = data.draft_plan(w, data.person(w), rows=n)
        return Visit(w.coordinator, reverse(route, kwargs={kwarg: pick(draft).pk}))

    return build


def plan_confirmation(w, n):
    return Visit(w.approver, reverse("careplans:confirmation", kwargs={"pk": w.records[n].submitted.pk}))


def plan_compare(w, n):
    record = w.records[n]
    url = reverse("careplans:compare", kwargs={"pk": record.active.plan_id})
    return Visit(w.coordinator, f"{url}?from={record.active.pk}&to={record.submitted.pk}")


def plans_to_decide(w, n):
    data.submitted_plans(w, n)
    return Visit(w.approver, reverse("careplans:queue"))


def plan_decide(w, n):
    return Visit(w.approver, reverse("careplans:decide", kwargs={"pk": w.records[n].submitted.pk}))


def plan_end(w, n):
    return Visit(w.coordinator, reverse("careplans:end", kwargs={"pk": w.records[n].active.pk}))


def ending_page(route):
    def build(w, n):
        return Visit(w.approver, reverse(route, kwargs={"pk": data.ask_to_end(w, w.records[n].active).pk}))

    return build


def endings_to_confirm(w, n):
    data.endings(w, n)
    return Visit(w.approver, reverse("careplans:endings"))


def service_remove(w, n):
    assessment = data.assessment_with_services(w, data.person(w), n)
    return Visit(w.coordinator, reverse("budgets:service_remove", kwargs={"pk": assessment.services.first().pk}))


def reviews_due(w, n):
    data.reviews_due(w, n)
    return Visit(w.coordinator, reverse("careplans:reviews_due"))


def reviews_due_for_everyone(w, n):
    data.reviews_due(w, n)
    return Visit(w.approver, reverse("careplans:reviews_due"))


def review_record(w, n):
    return Visit(w.coordinator, reverse("careplans:review_record", kwargs={"pk": w.records[n].review.pk}))


def review_page(w, n):
    """A review done: progress on each of the n outcomes, a rating for each part of life they are about."""
    from careplans.models import ReviewStatus

    done = w.records[n].active.plan.reviews.filter(status=ReviewStatus.COMPLETED).order_by("-completed_on").first()
    return Visit(w.coordinator, reverse("careplans:review", kwargs={"pk": done.pk}))


def plan_reviews(w, n):
    return Visit(w.coordinator, reverse("careplans:plan_reviews", kwargs={"pk": w.records[n].active.plan_id}))


def review_request(w, n):
    return Visit(w.coordinator, reverse("careplans:review_request", kwargs={"pk": w.records[n].active.plan_id}))


def failed_messages(w, n):
    data.failed_messages(w, n)
    return Visit(w.lead, reverse("careplans:failed_messages"))


def lockouts(w, n):
    data.lockouts(w, n)
    return Visit(w.lead, reverse("accounts:lockouts"))


def your_account(w, n):
    data.staff_with_factors(w, n)
    return Visit(w.coordinator, reverse("twofactor:account"))


def staff_factors(w, n):
    data.staff_with_factors(w, n)
    return Visit(w.lead, reverse("twofactor:staff"))


def staff_factor_reset(w, n):
    data.staff_with_factors(w, n)
    return Visit(w.lead, reverse("twofactor:reset", kwargs={"pk": w.coordinator.pk}))


def portal_choose(w, n):
    return Visit(data.patient_for(*data.people(w, n)), reverse("portal:home"))


def portal_accept(w, n):
    invitation = data.invitations(w, data.person(w), n)
    return Visit(None, reverse("portal:accept", kwargs={"token": invitation.token}))


def portal_accept_signed_in(w, n):
    """The holder of the account at the invitation's address, signed in, confirms (never a new password)."""
    holder = data.patient_for(*data.people(w, n))
    invitation = portal_services.invitation_create(
        person=data.person(w),
        email=holder.username,  # an address (patient accounts are named by theirs)
        relationship="parent",
        link_base="http://testserver/",
        acting_user=w.coordinator,
    )
    return Visit(holder, reverse("portal:accept", kwargs={"token": invitation.token}))


def portal_page(route):
    def build(w, n):
        record = w.records[n]
        return Visit(record.patient, reverse(route, kwargs={"pk": record.person.pk}))

    return build


def portal_plan_version(w, n):
    record = w.records[n]
    url = reverse("portal:plan_version", kwargs={"pk": record.person.pk, "version_pk": record.earlier.pk})
    return Visit(record.patient, url)


def staff_messages(w, n):
    return Visit(w.coordinator, reverse("portal:staff_messages", kwargs={"person_pk": w.records[n].person.pk}))


def portal_invite(w, n):
    someone = data.person(w)
    data.invitations(w, someone, n)
    data.online_access(w, someone, n)
    return Visit(w.coordinator, reverse("portal:invite", kwargs={"person_pk": someone.pk}))


def audit_trail(w, n):
    """The lead's audit trail, everyone's events (n of them the views of one person's record)."""
    data.record_views(w, data.person(w), n)
    return Visit(w.lead, reverse("audit:trail"))


def audit_trail_for_someone(w, n):
    someone = data.person(w)
    data.record_views(w, someone, n)
    return Visit(w.lead, reverse("audit:trail") + f"?person={someone.pk}&action=view")


def my_activity(w, n):
    data.record_views(w, data.person(w), n)
    return Visit(w.coordinator, reverse("audit:mine"))


def payment_runs(w, n):
    data.payment_runs(w, n)
    return Visit(w.approver, reverse("payments:runs"))


def payment_run(w, n):
    """A run waiting for the lead to confirm it (its buttons shown), with at least n payments in it."""
    run = data.payment_run(w, n, confirm=False)
    return Visit(data.finance(w.lead), reverse("payments:run", kwargs={"pk": run.pk}))


def plan_payments(w, n):
    return Visit(w.coordinator, reverse("payments:schedule", kwargs={"plan_id": w.records[n].active.plan_id}))


def plan_reclaims(w, n):
    """A plan's repayments: n of them, n - 1 withdrawn and the last waiting (the buttons to propose shown)."""
    waiting = data.reclaims_of(w, data.plan_history(w, data.person(w), versions=1, rows=1), n)
    return Visit(w.approver, reverse("payments:reclaims", kwargs={"plan_id": waiting.plan_id}))


def own_plan(w, n):
    """A plan agreed with n items for someone new: one repayment or stopping may wait on a plan at a time."""
    return data.plan_history(w, data.person(w), versions=1, rows=n)


def reclaim_page(w, n):
    """A repayment waiting for the lead to decide (the response recorded): the buttons and the response form."""
    action = data.reclaim(w, own_plan(w, n))
    return Visit(w.lead, reverse("payments:reclaim", kwargs={"pk": action.pk}))


def reclaim_propose(w, n):
    return Visit(w.approver, reverse("payments:reclaim_new", kwargs={"plan_id": w.records[n].active.plan_id}))


def stop_propose(w, n):
    return Visit(w.approver, reverse("payments:stop_new", kwargs={"plan_id": w.records[n].active.plan_id}))


def reclaim_decide(w, n):
    """The stopping's decision page: what it would hold (a count of the payments) and the form."""
    action = data.reclaim(w, own_plan(w, n), stop=True)
    return Visit(w.lead, reverse("payments:reclaim_decide", kwargs={"pk": action.pk}))


def reclaim_withdraw(w, n):
    action = data.reclaim(w, own_plan(w, n), responded=False)
    return Visit(w.lead, reverse("payments:reclaim_withdraw", kwargs={"pk": action.pk}))


def plan_money(w, n):
    """A plan's money: n items in the plan and a statement of n payments out (none matched yet)."""
    active = w.records[n].active
    data.spending(w, active, n)
    return Visit(w.coordinator, reverse("payments:money", kwargs={"plan_id": active.plan_id}))


def plan_statements(w, n):
    """A plan's statements: n transactions to match, each with a form listing the plan's n items. Opened by the
    coordinator (a member of the PHB team with the finance permission costs two queries for the permission)."""
    active = w.records[n].active
    data.spending(w, active, n)
    return Visit(w.coordinator, reverse("payments:statements", kwargs={"plan_id": active.plan_id}))


def plan_form(route, who="coordinator"):
    """A plan's money form (its n items listed where it asks which one)."""

    def build(w, n):
        return Visit(getattr(w, who), reverse(route, kwargs={"plan_id": w.records[n].active.plan_id}))

    return build


def resume_page(w, n):
    active = w.records[n].active
    hold = payment_holds.hold_payments(
        plan=active.plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=w.coordinator
    )
    return Visit(w.coordinator, reverse("payments:resume", kwargs={"pk": hold.pk}))


PAGES = [
    Page("caseload", "casework:caseload", "people in the team", caseload, sees_everyone="approver"),
    Page("caseload, PHB team", "casework:caseload", "people in the team", caseload_for_everyone),
    Page("caseload search by name", "casework:caseload", "people found", caseload_search, sees_everyone="approver"),
    Page(
        "caseload filtered and sorted",
        "casework:caseload",
        "people at the stage",
        caseload_filtered,
        sees_everyone="approver",
    ),
    Page(
        "work tray, coordinator",
        "casework:home",
        "referrals waiting",
        work_tray("coordinator", data.referrals),
        sees_everyone="approver",
    ),
    Page("work tray, PHB team", "casework:home", "referrals to decide", work_tray("approver", data.referrals)),
    Page("work tray, PHB team lead", "casework:home", "messages not sent", work_tray("lead", data.failed_messages)),
    Page("add a person", "people:add", "coordinators to choose from", person_add),
    Page(
        "person page",
        "people:detail",
        "screenings, agreed plan versions, people with online access, invitations waiting, messages",
        person_page,
    ),
    Page("person page, someone just added", "people:detail", "other people in the team", person_page_new),
    Page("change a person", "people:edit", "coordinators to choose from", person_edit),
    Page("record history", "people:history", "changes to the record", person_history, sees_everyone="approver"),
    Page(
        "record history with views",
        "people:history",
        "views of the record",
        person_history_with_views,
        sees_everyone="approver",
    ),
    Page("screen a person", "eligibility:new", "cohorts offered, earlier screenings", screening_new),
    Page("screening", "eligibility:detail", "cohorts and block-contract services", screening_detail),
    Page("decide a referral", "eligibility:decide", "cohorts and block-contract services", screening_decide),
    Page("referrals", "eligibility:queue", "referrals waiting", referrals, sees_everyone="approver"),
    Page("new assessment", "budgets:assessment_new", "earlier assessments (not listed)", assessment_new),
    Page("assessment", "budgets:assessment", "current services", assessment_page("budgets:assessment")),
    Page(
        "change an assessment",
        "budgets:assessment_edit",
        "current services (not listed)",
        assessment_page("budgets:assessment_edit"),
    ),
    Page(
        "add a current service",
        "budgets:service_add",
        "current services (not listed)",
        assessment_page("budgets:service_add", kwarg="assessment_pk"),
    ),
    Page("change a current service", "budgets:service_edit", "current services (not listed)", service_edit),
    Page("remove a current service", "budgets:service_remove", "current services (not listed)", service_remove),
    Page(
        "work out a budget",
        "budgets:budget_new",
        "current services",
        assessment_page("budgets:budget_new", kwarg="assessment_pk"),
    ),
    Page("budget", "budgets:budget", "costed lines (current services)", budget_page),
    Page("budgets to sign off", "budgets:sign_off_queue", "budgets waiting", sign_off_queue, sees_everyone="approver"),
    Page("tariffs", "budgets:tariffs", "tariffs", tariff_list, sees_everyone="lead"),
    Page("new tariff", "budgets:tariff_new", "tariffs (not listed)", tariff_new),
    Page("change a tariff", "budgets:tariff_edit", "tariffs (not listed)", tariff_edit),
    Page("start a plan", "careplans:new", "budget versions (only the latest is offered)", plan_new),
    Page(
        "plan version page",
        "careplans:version",
        "outcomes, items, agreed versions, their events and letters",
        plan_version,
    ),
    Page(
        "change a plan",
        "careplans:edit",
        "outcomes and items (not listed on the form)",
        draft_page("careplans:edit", "pk", lambda draft: draft),
    ),
    Page(
        "check a plan before submitting it",
        "careplans:check",
        "outcomes and items",
        draft_page("careplans:check", "pk", lambda draft: draft),
    ),
    Page("confirmation of a decision", "careplans:confirmation", "nothing listed", plan_confirmation),
    Page(
        "add an outcome",
        "careplans:outcome_add",
        "outcomes and items (not listed on the form)",
        draft_page("careplans:outcome_add", "version_pk", lambda draft: draft),
    ),
    Page(
        "change an outcome",
        "careplans:outcome_edit",
        "outcomes and items (not listed on the form)",
        draft_page("careplans:outcome_edit", "pk", lambda draft: draft.outcomes.first()),
    ),
    Page(
        "add an item",
        "careplans:item_add",
        "outcomes to link, items",
        draft_page("careplans:item_add", "version_pk", lambda draft: draft),
    ),
    Page(
        "change an item",
        "careplans:item_edit",
        "outcomes to link, items",
        draft_page("careplans:item_edit", "pk", lambda draft: draft.items.first()),
    ),
    Page(
        "compare versions", "careplans:compare", "agreed versions, outcomes, items (every item changed)", plan_compare
    ),
    Page("plans to decide", "careplans:queue", "plans waiting", plans_to_decide, sees_everyone="approver"),
    Page("decide on a plan", "careplans:decide", "outcomes, items (every item changed)", plan_decide),
    Page("end a plan", "careplans:end", "outcomes, items, reviews (not listed on the form)", plan_end),
    Page(
        "remove an outcome",
        "careplans:outcome_remove",
        "outcomes and items (the outcome's items listed)",
        draft_page("careplans:outcome_remove", "pk", lambda draft: draft.outcomes.first()),
    ),
    Page(
        "remove an item",
        "careplans:item_remove",
        "outcomes and items (the item's outcomes listed)",
        draft_page("careplans:item_remove", "pk", lambda draft: draft.items.first()),
    ),
    Page("endings to confirm", "careplans:endings", "endings waiting", endings_to_confirm, sees_everyone="approver"),
    Page(
        "confirm or refuse an ending",
        "careplans:ending_decide",
        "versions, reviews (counted, not listed)",
        ending_page("careplans:ending_decide"),
    ),
    Page("reviews due", "careplans:reviews_due", "reviews due", reviews_due, sees_everyone="approver"),
    Page("reviews due, PHB team", "careplans:reviews_due", "reviews due", reviews_due_for_everyone),
    Page("record a review", "careplans:review_record", "outcomes (a question on each)", review_record),
    Page("a review done", "careplans:review", "outcomes (progress on each), parts of life rated", review_page),
    Page(
        "reviews of a plan",
        "careplans:plan_reviews",
        "reviews done (a page of them), outcomes achieved (counted), parts of life rated",
        plan_reviews,
    ),
    Page("ask for a review", "careplans:review_request", "reviews done (not listed on the form)", review_request),
    Page(
        "messages not sent",
        "careplans:failed_messages",
        "messages not sent",
        failed_messages,
        sees_everyone="lead",
    ),
    Page("locked sign-ins", "accounts:lockouts", "locked sign-ins", lockouts, sees_everyone="lead"),
    Page("your account", "twofactor:account", "other staff with factors (not listed)", your_account),
    Page("staff second factors", "twofactor:staff", "staff accounts", staff_factors, sees_everyone="lead"),
    Page("reset a second factor", "twofactor:reset", "staff accounts (not listed)", staff_factor_reset),
    Page("portal choose a person", "portal:home", "people the patient sees", portal_choose),
    Page("accept an invitation", "portal:accept", "invitations (not listed)", portal_accept),
    Page(
        "accept an invitation, signed in",
        "portal:accept",
        "people the account sees (not listed)",
        portal_accept_signed_in,
    ),
    Page(
        "portal home", "portal:person", "items (their money options), reviews, messages", portal_page("portal:person")
    ),
    Page("portal plan", "portal:plan", "outcomes, items, agreed versions", portal_page("portal:plan")),
    Page("portal plan version", "portal:plan_version", "outcomes, items, agreed versions", portal_plan_version),
    Page("portal reviews", "portal:reviews", "reviews done, progress on each outcome", portal_page("portal:reviews")),
    Page(
        "portal documents", "portal:documents", "agreed versions, letters, screenings", portal_page("portal:documents")
    ),
    Page("portal messages", "portal:messages", "messages", portal_page("portal:messages")),
    Page("messages about a person", "portal:staff_messages", "messages", staff_messages),
    Page(
        "invite someone online", "portal:invite", "invitations, people with online access (not listed)", portal_invite
    ),
    Page("audit trail", "audit:trail", "views of a record", audit_trail, sees_everyone="lead"),
    Page("audit trail for one person", "audit:trail", "views of the record", audit_trail_for_someone),
    Page("what I did", "audit:mine", "records the coordinator opened", my_activity),
    Page("payment runs", "payments:runs", "payment runs", payment_runs, sees_everyone="approver"),
    Page("payment run", "payments:run", "payments in the run", payment_run, sees_everyone="lead"),
    Page("payments for a plan", "payments:schedule", "payments scheduled (one-offs)", plan_payments),
    Page("repayments of a plan", "payments:reclaims", "repayments", plan_reclaims, sees_everyone="approver"),
    Page("a repayment", "payments:reclaim", "versions, reviews and items of the plan", reclaim_page),
    Page("propose a repayment", "payments:reclaim_new", "versions, reviews and items of the plan", reclaim_propose),
    Page("propose stopping", "payments:stop_new", "versions, reviews and items of the plan", stop_propose),
    Page("decide a stopping", "payments:reclaim_decide", "versions, reviews and items of the plan", reclaim_decide),
    Page("withdraw a repayment", "payments:reclaim_withdraw", "versions, reviews and items", reclaim_withdraw),
    Page("a plan's money", "payments:money", "items and spending", plan_money),
    Page("a plan's statements", "payments:statements", "items and spending to match", plan_statements),
    Page("add a statement", "payments:statement_add", "items of the plan", plan_form("payments:statement_add")),
    Page("type in spending", "payments:transaction_add", "items of the plan", plan_form("payments:transaction_add")),
    Page("hold payments", "payments:hold", "items of the plan", plan_form("payments:hold")),
    Page("resume payments", "payments:resume", "items of the plan", resume_page),
    Page("record an invoice", "payments:invoice", "items of the plan", plan_form("payments:invoice", "approver")),
    Page("portal money", "portal:money", "items and payments", portal_page("portal:money")),
    Page("portal statements", "portal:statements", "items and payments", portal_page("portal:statements")),
    Page("portal add a statement", "portal:statement_add", "items", portal_page("portal:statement_add")),
    Page("portal add a receipt", "portal:receipt_add", "items", portal_page("portal:receipt_add")),
]
LISTS = [page for page in PAGES if page.sees_everyone]

# Every other URL pattern, with why it is not here. Checked: a PDF's address ends in .pdf, and a POST-only
# address refuses GET.
PDF, POST_ONLY = "a PDF", "POST only"
RECEIPT = "a receipt's file (a PDF or a picture), read by its id with its plan and person"
# Opened only after an upload keeps a statement in the session (the form is the file's own columns).
COLUMNS = "the columns of a statement kept in the session by its upload; opened from the upload only"
NOT_PAGES = {
    "audit:export": "a CSV download of the audit trail's events (streamed, a query per 2,000 rows)",
    "home": "redirects to where each role starts; renders no page",
    "health": "/health/ for load balancers: JSON",
    "login": "sign-in",
    "portal:nhs_login": "starts NHS login: a redirect to NHS login, renders no page",
    "portal:accept_nhs_login": "starts NHS login from an invitation: a redirect to NHS login, renders no page",
    "portal:nhs_login_callback": "NHS login's return: signs in and redirects, or a refusal page that lists nothing",
    "accounts:cis2": "starts CIS2: a redirect to NHS Care Identity, renders no page",
    "accounts:cis2_callback": "CIS2's return: signs in and redirects, or a refusal page that lists nothing",
    "logout": "sign-out",
    "eligibility:letter": PDF,
    "budgets:letter": PDF,
    "careplans:pdf": PDF,
    "careplans:fhir": "a FHIR JSON download of an agreed plan for other NHS systems, not a page",
    "careplans:letter": PDF,
    "portal:plan_pdf": PDF,
    "portal:letter": PDF,
    "portal:screening_letter": PDF,
    "portal:budget_letter": PDF,
    "budgets:sign_off": POST_ONLY,
    "careplans:submit": POST_ONLY,
    "careplans:amend": POST_ONLY,
    "careplans:assign": POST_ONLY,
    "careplans:message_retry": POST_ONLY,
    "portal:revoke": POST_ONLY,
    "portal:cancel_invitation": POST_ONLY,
    "portal:resend_invitation": POST_ONLY,
    "accounts:lockout_unlock": POST_ONLY,
    "accounts:stay_signed_in": POST_ONLY,
    "twofactor:verify": "the second factor step (before the factor is given): a form, lists nothing",
    "twofactor:verify_recovery": "the second factor step with a recovery code: a form, lists nothing",
    "twofactor:enrol": "setting up an authenticator app: a QR code and a form, lists nothing",
    "twofactor:recovery_codes": "new recovery codes, shown once: lists the user's own 10 codes",
    "twofactor:reauth": "confirm it is you: a form for a password and a code, lists nothing",
    "twofactor:new_recovery_codes": "asks to confirm it is you first, then a button; lists nothing",
    "twofactor:remove": "asks to confirm it is you first, then a button; lists nothing",
    "twofactor:password_change": "asks to confirm it is you first, then a form; lists nothing",
    "twofactor:passkey_add": "asks to confirm it is you first, then a button; lists nothing",
    "twofactor:passkey_remove": "asks to confirm it is you first, then a button; lists nothing",
    "twofactor:passkey_add_begin": "a passkey ceremony: JSON, POST only",
    "twofactor:passkey_add_complete": "a passkey ceremony: JSON, POST only",
    "twofactor:passkey_verify_begin": "a passkey ceremony: JSON, POST only",
    "twofactor:passkey_verify_complete": "a passkey ceremony: JSON, POST only",
    "accounts:password_reset": "forgotten password: a form for an e-mail address, lists nothing",
    "accounts:password_reset_done": "forgotten password: says to check your e-mail, lists nothing",
    "accounts:password_reset_confirm": "forgotten password: a form for a new password, lists nothing",
    "accounts:password_reset_complete": "forgotten password: says it is done, lists nothing",
    "portal:reply": POST_ONLY,
    "payments:confirm": POST_ONLY,
    "payments:cancel": POST_ONLY,
    "payments:ledger": "a CSV download of a confirmed payment run's payments for the finance ledger",
    # Reports count people and list none: each is one aggregate whatever the number of people, asserted in
    # reports/tests (test_returns, test_outcomes, and the page's own count in test_pages).
    "reports:return": "the NHS England return: counts of people, no list (reports/tests/test_pages.py)",
    "reports:return_csv": "a CSV download of the NHS England return",
    "reports:return_submit": POST_ONLY,
    "reports:outcomes": "the outcomes report: counts from reviews, no list (reports/tests/test_outcomes.py)",
    "reports:outcomes_csv": "a CSV download of the outcomes report",
    "reports:dashboard": "the dashboard: counts, no list; 4 queries for 11 people or 66 (reports/tests)",
    # The lead's exports: every row, streamed, the same queries for 5 and 50 (reports/tests/test_exports.py).
    "reports:export_caseload": "a CSV download of the caseload (streamed from one query, 2,000 rows at a time)",
    "reports:export_plans": "a CSV download of the plans to decide (streamed from one query, 2,000 rows at a time)",
    "reports:export_reviews": "a CSV download of the reviews due (streamed from one query, 2,000 rows at a time)",
    "payments:reclaim_response": POST_ONLY,
    "payments:reclaim_letter": PDF,
    "payments:reclaim_decision_letter": PDF,
    "payments:transaction_match": POST_ONLY,
    "payments:receipt": RECEIPT,
    "portal:receipt": RECEIPT,
    "payments:statement_columns": COLUMNS,
    "portal:statement_columns": COLUMNS,
}
# The admin is Django's own, for administrators only (tests.url_walk.site_patterns leaves it out).


# Measuring


PROJECT = Path(__file__).resolve().parent.parent


def sql_shape(sql: str) -> str:
    """A query with its values and column list taken out, so repeats of one query group together."""
    shape = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", sql, flags=re.DOTALL)
    shape = re.sub(r"'(?:[^']|'')*'", "?", shape)
    shape = re.sub(r'"(s\d+_x|_django_curs_)[\w]+"', r'"\1…"', shape)
    shape = re.sub(r"\b\d+(?:\.\d+)?\b", "?", shape)
    shape = re.sub(r"\((?:\?(?:::\w+)?, )+\?(?:::\w+)?\)", "(…)", shape)
    return shape[:240]


def asked_by() -> str:
    """Where in the product a query comes from: the innermost three frames of its code (not Django's, not the
    tests'), innermost first. A query from inside Django's middleware (the session, the user) is Django's."""
    frames = []
    for frame in reversed(traceback.extract_stack()):
        path = Path(frame.filename)
        ours = path.is_relative_to(PROJECT) and not path.is_relative_to(PROJECT / ".venv")
        if ours and not path.is_relative_to(PROJECT / "tests"):
            if "get_response(" in (frame.line or ""):
                break
            frames.append(f"{path.relative_to(PROJECT)}:{frame.lineno} {frame.name}")
            if len(frames) == 3:
                break
    return " ← ".join(frames) or "Django: the session and the signed-in user"


@dataclass(frozen=True)
class Query:
    sql: str
    origin: str


def grouped(queries: list[Query]) -> str:
    """The queries grouped by shape, most repeated first, each with where in the code it was asked."""
    groups: dict[str, list[str]] = {}
    for query in queries:
        groups.setdefault(sql_shape(query.sql), []).append(query.origin)
    lines = []
    for shape, origins in sorted(groups.items(), key=lambda group: -len(group[1])):
        where = "; ".join(f"{origin} ×{count}" if count > 1 else origin for origin, count in Counter(origins).items())
        lines.append(f"  {len(origins)}× {shape}\n      from {where}")
    return "\n".join(lines)


def opened(client, visit: Visit) -> tuple[object, list[Query]]:
    """Opens the page as the visit's user; returns the response and every query the request ran.

    Everything counts, transaction statements too: a service's atomic block is a SAVEPOINT and RELEASE
    here (inside the test's transaction) and a BEGIN and COMMIT in production, and Django logs both."""
    if visit.user is None:
        client.logout()
    else:
        client.force_login(visit.user)
    origins = []

    def remember(execute, sql, params, many, context):
        origins.append(asked_by())
        return execute(sql, params, many, context)

    freshness.stale_now()  # measured as when nothing is cached: the header's counts are worked out
    prepared.forget()  # and as on a new connection: statements are prepared (phb.prepared)
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(remember):
        response = client.get(visit.url)
    assert response.status_code == 200, f"{visit.url} answered {response.status_code}"
    if len(origins) != len(captured.captured_queries):
        origins = ["?"] * len(captured.captured_queries)
    return response, [Query(q["sql"], origin) for q, origin in zip(captured.captured_queries, origins, strict=True)]


@pytest.mark.parametrize("page", PAGES, ids=[page.id for page in PAGES])
def test_page_runs_a_constant_number_of_queries(records, client, w, page):
    w.records = records
    counts, queries, sizes = {}, {}, {}
    for n in (FEW, MANY):
        visit = page.build(w, n)
        response, queries[n] = opened(client, visit)
        counts[n], sizes[n] = len(queries[n]), len(response.content)
    limit = MORE_QUERIES.get(page.route, MAX_QUERIES)
    print(f"QUERIES {page.id} | {page.route} | {page.rows} | {counts[FEW]} | {counts[MANY]} | {sizes} bytes")
    report = (
        f"{page.id} ({page.route}): {counts[FEW]} queries with {FEW} {page.rows}, {counts[MANY]} with {MANY}.\n"
        f"The queries with {MANY}, grouped:\n{grouped(queries[MANY])}"
    )
    if counts[FEW] != counts[MANY]:
        report += f"\nThe queries with {FEW}, grouped:\n{grouped(queries[FEW])}"
    if counts[MANY] != counts[FEW] or counts[MANY] > limit:
        for n in (FEW, MANY):
            print(f"Every query with {n} rows:")
            for number, query in enumerate(queries[n], start=1):
                print(f"{number:3}. {query.sql}\n     from {query.origin}")
    assert counts[MANY] == counts[FEW], report
    assert counts[MANY] <= limit, report


# Size


class RowCounter(HTMLParser):
    """Counts the rows of every table body."""

    def __init__(self):
        super().__init__()
        self.in_body = 0
        self.rows = 0

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self.in_body += 1
        elif tag == "tr" and self.in_body:
            self.rows += 1

    def handle_endtag(self, tag):
        if tag == "tbody" and self.in_body:
            self.in_body -= 1


def rows_shown(html: str) -> int:
    """The rows a list shows: table body rows, or the people it names if it lists them some other way."""
    counter = RowCounter()
    counter.feed(html)
    return max(counter.rows, data.marked_rows(html))


@pytest.mark.parametrize("page", LISTS, ids=[page.id for page in LISTS])
def test_list_renders_at_most_a_page_of_rows_and_under_500_kb(client, w, page):
    visit = page.build(w, MORE_THAN_A_PAGE)
    response, _ = opened(client, Visit(getattr(w, page.sees_everyone), visit.url))
    html = response.content.decode()
    shown = rows_shown(html)
    print(f"SIZE {page.id} | {len(response.content)} bytes | {shown} rows of {MORE_THAN_A_PAGE}")
    assert shown > 0, f"{page.id} shows none of its {MORE_THAN_A_PAGE} rows"
    assert len(response.content) < MAX_HTML, f"{page.id} is {len(response.content):,} bytes"
    assert shown <= PAGE_SIZE, f"{page.id} shows {shown} rows of {MORE_THAN_A_PAGE}: more than a page of {PAGE_SIZE}"


# Coverage: every URL pattern is a page here or has a reason not to be


def test_every_url_pattern_is_a_page_here_or_has_a_reason():
    names = {name for _, name in site_patterns()}
    unnamed = [route for route, name in site_patterns() if name is None]
    assert not unnamed, f"Name these URL patterns so the page tests can list them: {unnamed}"
    listed = {page.route for page in PAGES} | set(NOT_PAGES)
    missing = sorted(names - listed)
    assert not missing, (
        f"New pages: add each to PAGES in {__name__} (with data for 5 and 50 rows), "
        f"or to NOT_PAGES with the reason: {missing}"
    )
    assert not sorted(listed - names), f"Listed but no longer URL patterns: {sorted(listed - names)}"


def example_path(route: str) -> str:
    """A concrete address for a route: a made-up value in each of its parameters."""
    values = {"uuid": "00000000-0000-4000-8000-000000000000", "int": "1", "str": "decision"}
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda match: values[match[1] or "str"], route)


def test_the_reasons_for_leaving_a_pattern_out_hold(client, alice):
    routes = {name: route for route, name in site_patterns()}
    client.force_login(alice)
    for name, reason in NOT_PAGES.items():
        if reason == PDF:
            assert routes[name].endswith(".pdf"), f"{name} is listed as a PDF but its address is {routes[name]}"
        elif reason == POST_ONLY:
            answer = client.get(example_path(routes[name])).status_code
            assert answer == 405, f"{name} is listed as POST only but answers GET with {answer}"
