"""Every form that makes something (and the decisions, which make letters and events) is safe to send twice
(phb.once).

For each: open the page as the persona who uses it, fill in the form as the page gives it (its one-time
token included) with a valid answer, send it twice. The second sending goes where the first went, with
no error and nothing made twice; the page it leads to says the form had already been sent.
"""

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from budgets.models import Assessment, BudgetVersion, CurrentService, Tariff
from budgets.tests.factories import add_service, make_assessment, make_eligible
from budgets.tests.test_assessment_pages import assessment_form, service_form
from budgets.tests.test_budgets import tariff_form
from careplans import services as plan_services
from careplans.models import (
    EndingRequest,
    Letter,
    Outcome,
    PlanEvent,
    PlanVersion,
    Review,
    ReviewStatus,
    SupportItem,
    SupportPlan,
)
from careplans.tests.factories import approved_plan, budgeted, complete_plan
from careplans.tests.test_plan_pages import item_form, outcome_form
from eligibility.models import Screening
from eligibility.tests.test_screening_pages import answers as screening_answers
from people.models import Person, PortalAccess
from people.tests.test_person_pages import valid_form
from phb import once
from phb.models import AuditAction, AuditEvent, SentForm
from portal import services as portal_services
from portal.models import Invitation, Message

pytestmark = pytest.mark.django_db


class Forms(HTMLParser):
    """The post forms of a page: each one's action and the values it would send as the page stands."""

    def __init__(self):
        super().__init__()
        self.forms, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.forms.append({"action": a.get("action", ""), "data": {}})
        if not self.forms:
            return
        data = self.forms[-1]["data"]
        if tag == "input" and a.get("name") and a.get("type") not in {"submit", "button"}:
            if a.get("type") in {"radio", "checkbox"} and "checked" not in a:
                return
            data[a["name"]] = a.get("value", "on" if a.get("type") in {"radio", "checkbox"} else "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and ("selected" in a or self._select not in data):
            data[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            data[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, text):
        if self._textarea and self.forms:
            self.forms[-1]["data"][self._textarea] += text


def filled_in(html: str, action: str | None) -> dict:
    parser = Forms()
    parser.feed(html)
    found = [f for f in parser.forms if (f["action"] == action if action else once.FIELD in f["data"])]
    assert found, f"no post form for {action or 'this page'}"
    return dict(found[0]["data"])


@dataclass
class Case:
    user: object
    page: str  # where the form is
    counted: Callable[[], int]  # the rows the form makes
    answers: dict = field(default_factory=dict)
    action: str | None = None  # the form's action when the page has several (None: the page itself)


def add_person(r):
    return Case(r("alice"), reverse("people:add"), Person.objects.count, valid_form(r("north")))


def change_a_person(r):
    """An edit too: the second sending would otherwise be refused as out of date (its version is the old one)."""
    url = reverse("people:edit", kwargs={"pk": r("jane").pk})
    changes = AuditEvent.objects.filter(action=AuditAction.UPDATE, person_id=r("jane").pk).count
    return Case(r("alice"), url, changes, {"preferred_name": "Janey"})


def screen(r):
    return Case(
        r("alice"),
        reverse("eligibility:new", kwargs={"person_pk": r("jane").pk}),
        Screening.objects.count,
        screening_answers(action="save"),
    )


def assess(r):
    make_eligible(person=r("jane"), coordinator=r("alice"))
    url = reverse("budgets:assessment_new", kwargs={"person_pk": r("jane").pk})
    return Case(r("alice"), url, Assessment.objects.count, assessment_form())


def _assessment(r):
    make_eligible(person=r("jane"), coordinator=r("alice"))
    return make_assessment(person=r("jane"), coordinator=r("alice"))


def add_current_service(r):
    url = reverse("budgets:service_add", kwargs={"assessment_pk": _assessment(r).pk})
    return Case(r("alice"), url, CurrentService.objects.count, service_form())


def work_out_a_budget(r):
    assessment = _assessment(r)
    add_service(assessment=assessment, coordinator=r("alice"))
    url = reverse("budgets:budget_new", kwargs={"assessment_pk": assessment.pk})
    return Case(r("alice"), url, BudgetVersion.objects.count, {"method": "costed", "adjustment": "0"})


def set_up_a_tariff(r):
    return Case(r("leo"), reverse("budgets:tariff_new"), Tariff.objects.count, tariff_form())


def start_a_plan(r):
    budget = budgeted(person=r("jane"), coordinator=r("alice"))
    url = reverse("careplans:new", kwargs={"person_pk": r("jane").pk})
    return Case(r("alice"), url, SupportPlan.objects.count, {"budget_version": str(budget.pk)})


def add_an_outcome(r):
    version = complete_plan(person=r("jane"), coordinator=r("alice"))
    url = reverse("careplans:outcome_add", kwargs={"version_pk": version.pk})
    return Case(r("alice"), url, Outcome.objects.count, outcome_form(version))


def add_what_the_money_buys(r):
    version = complete_plan(person=r("jane"), coordinator=r("alice"))
    url = reverse("careplans:item_add", kwargs={"version_pk": version.pk})
    return Case(r("alice"), url, SupportItem.objects.count, item_form(version))


def _active(r):
    return approved_plan(person=r("jane"), coordinator=r("alice"), approver=r("priya"))


def change_the_plan(r):
    active = _active(r)
    page = reverse("careplans:version", kwargs={"pk": active.pk})
    action = reverse("careplans:amend", kwargs={"pk": active.plan_id})
    return Case(r("alice"), page, PlanVersion.objects.count, action=action)


def submit_a_plan(r):
    draft = complete_plan(person=r("jane"), coordinator=r("alice"))
    page = reverse("careplans:check", kwargs={"pk": draft.pk})  # the submit button is on the check page
    action = reverse("careplans:submit", kwargs={"pk": draft.pk})
    return Case(r("alice"), page, PlanEvent.objects.count, action=action)


def approve_a_plan(r):
    submitted = plan_services.plan_submit(
        version=complete_plan(person=r("jane"), coordinator=r("alice")), acting_user=r("alice")
    )
    url = reverse("careplans:decide", kwargs={"pk": submitted.pk})
    answers = {"decision": "approve", "financially_appropriate": "on", "clinically_appropriate": "on"}
    return Case(r("priya"), url, Letter.objects.count, answers)


def ask_for_a_review(r):
    url = reverse("careplans:review_request", kwargs={"pk": _active(r).plan_id})
    return Case(r("alice"), url, Review.objects.count, {"reason": "health_changed"})


def _ending_form(reason):
    soon = datetime.date.today() + datetime.timedelta(days=30)
    return {
        "reason": reason,
        "ended_on_day": str(soon.day),
        "ended_on_month": str(soon.month),
        "ended_on_year": str(soon.year),
    }


def end_a_budget(r):
    url = reverse("careplans:end", kwargs={"pk": _active(r).pk})
    return Case(r("alice"), url, Letter.objects.count, _ending_form("moved_away"))


def ask_for_an_ending(r):
    url = reverse("careplans:end", kwargs={"pk": _active(r).pk})
    return Case(r("alice"), url, EndingRequest.objects.count, _ending_form("money_misused"))


def confirm_an_ending(r):
    from careplans import approval

    ending = approval.ending_ask(
        version=_active(r),
        reason="not_eligible",
        ended_on=datetime.date.today() + datetime.timedelta(days=30),
        note="",
        unspent_to_repay=None,
        acting_user=r("alice"),
    )
    url = reverse("careplans:ending_decide", kwargs={"pk": ending.pk})
    # The page's first form is the confirmation (a button); the refusal's form follows it.
    return Case(r("priya"), url, Letter.objects.count, {"decision": "confirm"})


def record_a_review(r):
    active = _active(r)
    due = Review.objects.get(plan=active.plan, status=ReviewStatus.DUE)
    answers = {
        "completed_on_day": "10",
        "completed_on_month": "6",
        "completed_on_year": "2026",
        "money_enough": "yes",
        "used_as_planned": "yes",
        "satisfaction": "satisfied",
        "decision": "continue",
        "change_social": "better",
        "change_daily_living": "same",
    }
    answers |= {f"progress_{outcome.key}": "achieved" for outcome in active.outcomes.all()}
    url = reverse("careplans:review_record", kwargs={"pk": due.pk})
    return Case(r("alice"), url, lambda: Review.objects.filter(status=ReviewStatus.COMPLETED).count(), answers)


def invite(r):
    url = reverse("portal:invite", kwargs={"person_pk": r("jane").pk})
    return Case(r("alice"), url, Invitation.objects.count, {"email": "sarah@example.com", "relationship": "parent"})


def send_an_invitation_again(r):
    invitation = portal_services.invitation_create(
        person=r("jane"),
        email="sarah@example.com",
        relationship="parent",
        link_base="http://t/",
        acting_user=r("alice"),
    )
    page = reverse("people:detail", kwargs={"pk": r("jane").pk})
    action = reverse("portal:resend_invitation", kwargs={"invitation_pk": invitation.pk})
    return Case(r("alice"), page, Invitation.objects.count, action=action)


def reply_to_the_person(r):
    # Jane, online, has written: her coordinator replies on the thread.
    portal_services.message_send(person=r("jane"), body="Can we talk?", acting_user=r("pat"))
    page = reverse("portal:staff_messages", kwargs={"person_pk": r("jane").pk})
    action = reverse("portal:reply", kwargs={"person_pk": r("jane").pk})
    return Case(r("alice"), page, Message.objects.count, {"body": "See you on Friday"}, action=action)


def message_the_care_team(r):
    url = reverse("portal:messages", kwargs={"pk": r("jane").pk})
    return Case(r("pat"), url, Message.objects.count, {"body": "Can we talk about my plan?"})


def accept_an_invitation_signed_in(r):
    invitation = portal_services.invitation_create(
        person=r("sam"), email=r("pat").email, relationship="parent", link_base="http://t/", acting_user=r("charlie")
    )
    url = reverse("portal:accept", kwargs={"token": invitation.token})
    return Case(r("pat"), url, PortalAccess.objects.count)


CREATES = [
    add_person,
    change_a_person,
    screen,
    assess,
    add_current_service,
    work_out_a_budget,
    set_up_a_tariff,
    start_a_plan,
    add_an_outcome,
    add_what_the_money_buys,
    change_the_plan,
    submit_a_plan,
    approve_a_plan,
    ask_for_a_review,
    record_a_review,
    end_a_budget,
    ask_for_an_ending,
    confirm_an_ending,
    invite,
    send_an_invitation_again,
    reply_to_the_person,
    message_the_care_team,
    accept_an_invitation_signed_in,
]


@pytest.mark.parametrize("build", CREATES, ids=[build.__name__ for build in CREATES])
def test_a_form_sent_twice_makes_one_and_the_second_goes_where_the_first_went(client, request, build):
    case = build(request.getfixturevalue)
    client.force_login(case.user)
    page = client.get(case.page)
    assert page.status_code == 200
    sent = filled_in(page.content.decode(), case.action) | case.answers
    assert len(sent.get(once.FIELD, "")) >= 40, "the form carries its one-time token"
    before = case.counted()
    first = client.post(case.action or case.page, sent)
    assert first.status_code == 302, getattr(first, "context", None) and first.context.get("form").errors
    assert case.counted() == before + 1
    second = client.post(case.action or case.page, sent)
    assert (second.status_code, second["Location"]) == (302, first["Location"])
    assert case.counted() == before + 1
    assert once.ALREADY_SENT in client.get(second["Location"]).content.decode()
    assert SentForm.objects.filter(user=case.user, token=sent[once.FIELD], result_url=first["Location"]).exists()


def test_a_refused_form_gives_its_token_back_so_the_corrected_form_is_sent(client, alice, north):
    client.force_login(alice)
    token = once.new_token()
    refused = client.post(reverse("people:add"), valid_form(north, given_name="") | {once.FIELD: token})
    assert refused.status_code == 200 and not SentForm.objects.exists()
    accepted = client.post(reverse("people:add"), valid_form(north) | {once.FIELD: token})
    assert accepted.status_code == 302
    assert Person.objects.filter(given_name="Nora").count() == 1


def test_another_users_token_is_not_theirs(client, alice, bob, north):
    token = once.new_token()
    client.force_login(alice)
    client.post(reverse("people:add"), valid_form(north) | {once.FIELD: token})
    client.force_login(bob)
    response = client.post(reverse("people:add"), valid_form(north, nhs_number="999 000 0034") | {once.FIELD: token})
    assert response.status_code == 302
    assert Person.objects.filter(given_name="Nora").count() == 2


def test_claims_older_than_a_day_are_removed_as_the_user_sends_more(client, alice, north):
    old = SentForm.objects.create(user=alice, token=once.new_token(), result_url="/people/")
    SentForm.objects.filter(pk=old.pk).update(sent_at=old.sent_at - once.KEPT_FOR - datetime.timedelta(minutes=1))
    client.force_login(alice)
    client.post(reverse("people:add"), valid_form(north) | {once.FIELD: once.new_token()})
    assert not SentForm.objects.filter(pk=old.pk).exists()
    assert SentForm.objects.filter(user=alice).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sendings_at_the_same_moment_make_one_review(alice, priya, jane):
    """The second waits on the first's claim (a unique row in the same transaction), then follows it."""
    active = approved_plan(person=jane, coordinator=alice, approver=priya)
    url = reverse("careplans:review_request", kwargs={"pk": active.plan_id})
    sent = {"reason": "health_changed", once.FIELD: once.new_token()}
    barrier, answers = threading.Barrier(2), []

    def send():
        browser = Client()
        browser.force_login(alice)
        try:
            barrier.wait()
            response = browser.post(url, sent)
            answers.append((response.status_code, response["Location"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [(302, reverse("careplans:reviews_due"))] * 2
    assert Review.objects.filter(plan=active.plan, kind="unscheduled").count() == 1
