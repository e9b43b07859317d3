"""Edges of the lifecycle found in review: one open version, ending, four eyes after a return, start dates."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from careplans import approval, reviews, services
from careplans.models import DecisionEmail, PlanVersion, Review, Status
from careplans.tests.factories import budgeted, complete_plan
from phb.errors import ServiceError

pytestmark = pytest.mark.django_db

FUTURE = datetime.date.today() + datetime.timedelta(days=40)


def approve(version, user):
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=user
    )


@pytest.fixture
def active(jane, alice, priya):
    return approve(
        services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice), priya
    )


def amend_and_submit(plan, alice, **changes):
    draft = services.plan_amend(plan=plan, acting_user=alice)
    if "start_date" in changes:
        draft.outcomes.update(target_date=None)  # the old targets fall before a later start
    values = {"agreed_on": datetime.date.today(), "agreement_method": "signed", **changes}
    draft = services.plan_update(version=draft, expected_revision=draft.revision, acting_user=alice, **values)
    return services.plan_submit(version=draft, acting_user=alice)


def test_one_version_open_at_a_time_and_returning_it_works(active, alice, priya):
    submitted = amend_and_submit(active.plan, alice)
    with pytest.raises(ServiceError, match="already has a new version"):
        services.plan_amend(plan=active.plan, acting_user=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanVersion.objects.create(
            plan=active.plan, number=99, budget_version=active.budget_version, created_by=alice, updated_by=alice
        )
    returned = approval.plan_return(version=submitted, reason="Check the taxis", acting_user=priya)
    assert returned.status == Status.RETURNED
    assert active.plan.versions.filter(status=Status.DRAFT).count() == 1


def test_the_approver_who_returned_a_plan_can_decide_on_the_resubmission(jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    approval.plan_return(version=version, reason="Say how the taxis are booked", acting_user=priya)
    draft = version.plan.versions.get(status=Status.DRAFT)
    assert draft.created_by == alice
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        agreed_on=datetime.date.today(),
        agreement_method="signed",
    )
    resubmitted = services.plan_submit(version=draft, acting_user=alice)
    assert approve(resubmitted, priya).decided_by == priya


def test_ending_withdraws_an_open_version_and_nothing_can_restart_it(active, alice, priya):
    submitted = amend_and_submit(active.plan, alice)
    approval.plan_end(
        version=active,
        reason="moved_away",
        ended_on=datetime.date.today(),
        note="",
        unspent_to_repay=None,
        acting_user=alice,
    )
    submitted.refresh_from_db()
    assert submitted.status == Status.WITHDRAWN
    with pytest.raises(ServiceError):
        approve(submitted, priya)
    assert not Review.objects.filter(plan=active.plan, status="due").exists()


def test_an_approved_amendment_starting_later_leaves_the_old_version_in_force_until_then(active, alice, priya, bob):
    submitted = amend_and_submit(
        active.plan,
        alice,
        start_date=FUTURE,
        first_review_date=FUTURE + datetime.timedelta(days=30),
        care_coordinator=bob,
    )
    extra = reviews.review_request(plan=active.plan, reason="health_changed", acting_user=alice)
    approved = approve(submitted, priya)
    active.refresh_from_db()
    assert (active.status, approved.status) == (Status.ACTIVE, Status.APPROVED)
    approval.activate_due_plans(on=FUTURE)
    active.refresh_from_db()
    approved.refresh_from_db()
    assert (active.status, approved.status) == (Status.SUPERSEDED, Status.ACTIVE)
    # Every review still to do moved to the version in force, so its coordinator is reminded.
    extra.refresh_from_db()
    assert extra.plan_version == approved
    assert approved.care_coordinator == bob


def test_a_double_click_starts_one_plan(jane, alice):
    budget = budgeted(person=jane, coordinator=alice)
    services.plan_start(person=jane, budget_version=budget, acting_user=alice)
    with pytest.raises(ServiceError, match="already a plan for this indicative budget"):
        services.plan_start(person=jane, budget_version=budget, acting_user=alice)


def test_a_decision_e_mail_claimed_by_a_worker_that_died_is_sent_later(active, mailoutbox):
    from django.utils import timezone

    email = DecisionEmail.objects.get()
    DecisionEmail.objects.filter(pk=email.pk).update(claimed_at=timezone.now())
    assert approval.decision_email_send(email.pk) is False
    DecisionEmail.objects.filter(pk=email.pk).update(claimed_at=timezone.now() - datetime.timedelta(minutes=11))
    assert approval.decision_email_send(email.pk) is True
    assert approval.decision_email_send(email.pk) is False
    assert len(mailoutbox) == 1


def test_reviewing_with_amend_uses_a_version_already_under_way(active, alice):
    draft = services.plan_amend(plan=active.plan, acting_user=alice)
    review = Review.objects.get(plan=active.plan)
    _, _, under_way = reviews.review_complete(
        review=review,
        acting_user=alice,
        completed_on=datetime.date(2026, 6, 10),
        outcome_progress={str(o.key): ("achieved", "") for o in active.outcomes.all()},
        domain_ratings={},
        money_enough=True,
        money_notes="",
        used_as_planned=True,
        use_notes="",
        safety_notes="",
        satisfaction="satisfied",
        decision="amend",
    )
    assert under_way == draft


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("dp_amount", "0", "Amount of each payment must be more than £0"), ("start_date_year", "9999", "between 1900")],
)
def test_plan_form_messages(client, alice, jane, field, value, message):
    from careplans.tests.test_plans import plan_form

    draft = complete_plan(person=jane, coordinator=alice)
    client.force_login(alice)
    response = client.post(reverse("careplans:edit", kwargs={"pk": draft.pk}), plan_form(draft, **{field: value}))
    assert message in response.content.decode()


def test_item_form_messages_for_edited_pages(client, alice, jane):
    from careplans.tests.test_plan_pages import item_form

    draft = complete_plan(person=jane, coordinator=alice)
    client.force_login(alice)
    url = reverse("careplans:item_add", kwargs={"version_pk": draft.pk})
    response = client.post(url, item_form(draft, quantity="1234567", outcomes=["not-a-uuid"]))
    errors = response.context["form"].errors
    assert errors["quantity"] == ["Enter a quantity of 999,999 or less"]
    assert errors["outcomes"] == ["Select one of the options shown"]
