"""The version in force, ending a budget, returned plans, and the pages that check access for letters and reviews."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from budgets import services as budget_services
from careplans import approval, reminders, reviews, services
from careplans.models import PlanVersion, Review, ReviewReminder, ReviewStatus, Status
from careplans.tests.factories import approved_change, approved_plan, budgeted, complete_plan
from careplans.tests.test_reviews import answers
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

LATER = datetime.date.today() + datetime.timedelta(days=40)


@pytest.fixture
def active(jane, alice, priya):
    return approved_plan(person=jane, coordinator=alice, approver=priya)


@pytest.fixture
def change_waiting(active, alice, priya):
    """Version 1 active; version 2 approved to start in 40 days."""
    waiting = approved_change(plan=active.plan, coordinator=alice, approver=priya, start=LATER)
    assert waiting.status == Status.APPROVED
    return waiting


def test_the_version_in_force_is_the_active_one_while_a_change_waits_for_its_start(active, change_waiting):
    today = datetime.date.today()
    assert PlanVersion.objects.in_force_for(active.plan, on=today) == active
    assert PlanVersion.objects.in_force_for(active.plan, on=LATER) == change_waiting
    assert reviews.in_force(active.plan) == active


def test_a_due_review_is_recorded_while_an_approved_change_waits_for_its_start(active, change_waiting, alice):
    due = Review.objects.get(plan=active.plan, status=ReviewStatus.DUE)
    assert due.plan_version == active
    review, following, _ = reviews.review_complete(review=due, acting_user=alice, **answers(active))
    assert review.status == ReviewStatus.COMPLETED
    assert review.plan_version == active
    assert following.status == ReviewStatus.DUE


def test_reminders_for_that_review_still_go_out_once(active, change_waiting):
    due = Review.objects.get(plan=active.plan, status=ReviewStatus.DUE)
    reminders.sweep(today=due.due_on, queue=False)
    reminders.sweep(today=due.due_on, queue=False)
    assert list(ReviewReminder.objects.filter(review=due).values_list("kind", flat=True)) == ["coordinator_due"]


def test_the_review_page_records_it_in_the_browserless_client(client, active, change_waiting, alice):
    due = Review.objects.get(plan=active.plan, status=ReviewStatus.DUE)
    client.force_login(alice)
    url = reverse("careplans:review_record", kwargs={"pk": due.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["version"] == active


def test_a_change_waiting_for_its_start_cannot_be_ended_while_another_version_is_in_force(
    client, active, change_waiting, alice
):
    with pytest.raises(ServiceError, match="Version 1 is still active"):
        approval.plan_end(
            version=change_waiting,
            reason="consent_withdrawn",
            ended_on=LATER,
            note="",
            unspent_to_repay=None,
            acting_user=alice,
        )
    client.force_login(alice)
    page = client.get(reverse("careplans:version", kwargs={"pk": change_waiting.pk})).content.decode()
    assert "End the personal health budget" not in page
    page = client.get(reverse("careplans:version", kwargs={"pk": active.pk})).content.decode()
    assert "End the personal health budget" in page


def end(version, user, on):
    return approval.plan_end(
        version=version, reason="consent_withdrawn", ended_on=on, note="", unspent_to_repay=None, acting_user=user
    )


def test_a_budget_ending_later_is_ending_and_in_force_until_its_end_date(client, active, alice):
    ending = end(active, alice, LATER)
    assert ending.status == Status.ENDING
    assert ending.status_words == f"Ending on {LATER:%-d %B %Y}"
    assert reviews.in_force(active.plan) == ending
    # Reviews are cancelled and no new version can be started, though the money is still paid.
    assert not Review.objects.filter(plan=active.plan, status=ReviewStatus.DUE).exists()
    with pytest.raises(ServiceError, match="is ending"):
        services.plan_amend(plan=active.plan, acting_user=alice)
    client.force_login(alice)
    page = client.get(reverse("careplans:version", kwargs={"pk": active.pk})).content.decode()
    assert f"Ending on {LATER:%-d %B %Y}" in page
    assert "End the personal health budget" not in page and "Change the end date" in page
    assert "Change the plan with a new version" not in page
    assert AuditEvent.objects.filter(object_id=str(active.pk), action=AuditAction.END).count() == 1


def test_the_hourly_job_ends_it_on_its_end_date_once(active, alice):
    end(active, alice, LATER)
    assert approval.finish_ended_plans() == 0
    assert approval.finish_ended_plans(on=LATER) == 1
    assert approval.finish_ended_plans(on=LATER) == 0
    version = PlanVersion.objects.get(pk=active.pk)
    assert version.status == Status.ENDED
    assert version.status_words == f"Ended on {LATER:%-d %B %Y}"
    assert reviews.in_force(active.plan) is None
    assert version.events.last().actor is None


def test_a_budget_ended_today_or_earlier_is_ended_at_once(active, alice):
    assert end(active, alice, datetime.date.today()).status == Status.ENDED


def test_an_ending_budget_can_be_ended_sooner(active, alice):
    end(active, alice, LATER)
    sooner = end(PlanVersion.objects.get(pk=active.pk), alice, datetime.date.today())
    assert (sooner.status, sooner.ended_on) == (Status.ENDED, datetime.date.today())
    assert active.letters.filter(kind="ending").count() == 2


def test_a_plan_that_has_not_started_is_ended_at_once_and_never_runs(jane, alice, priya):
    draft = complete_plan(person=jane, coordinator=alice)
    draft.outcomes.update(target_date=None)
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        start_date=LATER,
        first_review_date=LATER + datetime.timedelta(days=30),
    )
    approved = approval.plan_approve(
        version=services.plan_submit(version=draft, acting_user=alice),
        financially_appropriate=True,
        clinically_appropriate=True,
        acting_user=priya,
    )
    assert approved.status == Status.APPROVED
    with pytest.raises(ValidationError, match="has not started yet, so the end date must be today or later"):
        end(approved, alice, datetime.date.today() - datetime.timedelta(days=1))
    ended = end(approved, alice, datetime.date.today())
    assert ended.status == Status.ENDED
    assert approval.activate_due_plans(on=LATER) == 0
    assert reviews.in_force(approved.plan, on=LATER) is None


def test_a_newer_change_replaces_an_earlier_one_still_waiting_for_its_start(active, change_waiting, alice, priya):
    newer = approved_change(
        plan=active.plan, coordinator=alice, approver=priya, start=LATER + datetime.timedelta(days=30)
    )
    assert PlanVersion.objects.get(pk=change_waiting.pk).status == Status.SUPERSEDED
    assert approval.activate_due_plans(on=LATER) == 0
    assert approval.activate_due_plans(on=LATER + datetime.timedelta(days=30)) == 1
    statuses = dict(PlanVersion.objects.filter(plan=active.plan).values_list("number", "status"))
    assert statuses == {1: Status.SUPERSEDED, 2: Status.SUPERSEDED, 3: Status.ACTIVE}
    assert newer.number == 3


def test_a_second_plan_cannot_be_started_on_a_budget_whose_plan_is_still_going(client, active, alice, jane):
    # A declined change does not make the plan in force stop counting.
    draft = services.plan_amend(plan=active.plan, acting_user=alice)
    PlanVersion.objects.filter(pk=draft.pk).update(status=Status.SUBMITTED)
    PlanVersion.objects.filter(pk=draft.pk).update(status=Status.DECLINED)
    with pytest.raises(ServiceError, match="already a plan for this indicative budget"):
        services.plan_start(person=jane, budget_version=active.budget_version, acting_user=alice)
    client.force_login(alice)
    page = client.get(reverse("people:detail", kwargs={"pk": jane.pk})).content.decode()
    assert "Start a support plan" not in page


def test_a_new_plan_may_be_started_once_the_last_one_has_ended(client, active, alice, jane):
    end(active, alice, datetime.date.today())
    version = services.plan_start(person=jane, budget_version=active.budget_version, acting_user=alice)
    assert version.number == 1 and version.plan != active.plan


@pytest.mark.django_db(transaction=True)
def test_ending_and_a_new_version_at_the_same_time_leave_no_live_draft(active, alice, bob):
    """The plan's lock makes the two moves happen one after the other, whichever comes first."""
    import threading

    from django.db import connection

    outcomes = {}
    barrier = threading.Barrier(2)

    def run(name, action):
        try:
            barrier.wait()
            action()
            outcomes[name] = "done"
        except (ServiceError, ValidationError) as error:
            outcomes[name] = str(error)
        finally:
            connection.close()

    plan = active.plan
    threads = [
        threading.Thread(target=run, args=("amend", lambda: services.plan_amend(plan=plan, acting_user=bob))),
        threading.Thread(target=run, args=("end", lambda: end(PlanVersion.objects.get(pk=active.pk), alice, LATER))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes["end"] == "done"
    assert not PlanVersion.objects.filter(plan=plan, status__in=Status.OPEN).exists()


def test_ending_withdraws_a_change_waiting_for_its_start(active, change_waiting, alice):
    end(active, alice, LATER)
    assert PlanVersion.objects.get(pk=change_waiting.pk).status == Status.WITHDRAWN
    assert approval.activate_due_plans(on=LATER) == 0


@pytest.fixture
def returned(jane, alice, priya):
    submitted = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    approval.plan_return(version=submitted, reason="Add the cost of the hoist servicing.", acting_user=priya)
    return submitted.plan.versions.get(status=Status.DRAFT)


def test_a_returned_plan_opens_with_the_phb_teams_reasons(client, alice, returned):
    client.force_login(alice)
    page = client.get(reverse("careplans:version", kwargs={"pk": returned.pk})).content.decode()
    assert 'data-testid="returned"' in page
    assert "Priya Patel returned it on" in page
    assert "Add the cost of the hoist servicing." in page
    assert "The PHB team returned version 1 for changes" in page


def test_the_timeline_says_who_returned_it_and_for_whom_the_draft_was_made(client, alice, returned):
    client.force_login(alice)
    response = client.get(reverse("careplans:version", kwargs={"pk": returned.pk}))
    lines = [" ".join(line.split()) for line in response.content.decode().split("<li>") if "version 2 draft" in line]
    assert len(lines) == 1
    assert "version 2 draft. Returned by Priya Patel; new draft made for Alice Adams" in lines[0]
    assert ", by Priya Patel" not in lines[0]


def test_the_callout_is_not_shown_on_a_plan_that_was_not_returned(client, alice, jane):
    client.force_login(alice)
    draft = complete_plan(person=jane, coordinator=alice)
    page = client.get(reverse("careplans:version", kwargs={"pk": draft.pk})).content.decode()
    assert 'data-testid="returned"' not in page


def test_a_plan_cannot_be_started_on_a_budget_a_newer_one_has_replaced(jane, alice):
    old = budgeted(person=jane, coordinator=alice)
    budget_services.budget_version_create(
        assessment=old.assessment,
        method="costed",
        adjustment=Decimal("0"),
        adjustment_reason="",
        council_share_means_tested=False,
        acting_user=alice,
    )
    with pytest.raises(ValidationError, match="newer budget"):
        services.plan_start(person=jane, budget_version=old, acting_user=alice)


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("priya", 200), ("charlie", 404), ("pat", 404), ("ada", 404)]
)
def test_a_letter_is_downloaded_only_by_staff_who_may_see_the_person(client, request, active, persona, status):
    letter = active.letters.get(kind="approval")
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse("careplans:letter", kwargs={"pk": letter.pk}))
    assert response.status_code == status
    viewed = AuditEvent.objects.filter(
        actor_username=user.username, action=AuditAction.VIEW, summary__contains="letter"
    )
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert bytes(response.content).startswith(b"%PDF")
        assert viewed.count() == 1
    else:
        assert not viewed.exists()


def test_asking_for_a_review_from_the_page_makes_one_due_review_and_is_audited(client, active, alice):
    client.force_login(alice)
    url = reverse("careplans:review_request", kwargs={"pk": active.plan_id})
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "health_changed", "note": "A fall at home"})
    assert response.status_code == 302
    review = Review.objects.get(plan=active.plan, kind="unscheduled")
    assert (review.reason_note, review.requested_by) == ("A fall at home", alice)
    assert AuditEvent.objects.filter(object_id=str(review.pk), action=AuditAction.REQUEST_REVIEW).count() == 1


@pytest.mark.parametrize("persona", ["charlie", "pat", "ada"])
def test_asking_for_a_review_is_refused_to_outsiders(client, request, active, persona):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("careplans:review_request", kwargs={"pk": active.plan_id})
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "health_changed"}).status_code == 404
    assert not Review.objects.filter(plan=active.plan, kind="unscheduled").exists()


def test_each_move_is_audited_with_its_own_action(active, alice, priya):
    actions = set(AuditEvent.objects.filter(object_id=str(active.pk)).values_list("action", flat=True))
    assert {AuditAction.SUBMIT, AuditAction.APPROVE, AuditAction.ACTIVATE} <= actions


def test_the_decide_page_offers_only_the_decisions_the_rule_allows(client, jane, alice, priya, leo, settings):
    submitted = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    url = reverse("careplans:decide", kwargs={"pk": submitted.pk})
    settings.PLAN_LEAD_APPROVAL_ABOVE = 1000
    client.force_login(priya)
    page = client.get(url).content.decode()
    assert "Approve the plan" not in page and "Return it to the coordinator" in page
    assert "need a PHB team lead to approve them. You can return or decline it." in page
    # Approve is not among the choices: one posted all the same is not accepted, and nothing moves.
    response = client.post(
        url, {"decision": "approve", "financially_appropriate": "on", "clinically_appropriate": "on"}
    )
    assert response.status_code == 200
    assert PlanVersion.objects.get(pk=submitted.pk).status == Status.SUBMITTED
    client.force_login(leo)
    page = client.get(url).content.decode()
    assert "Approve the plan" in page and 'data-testid="approve-refused"' not in page


def test_the_decide_page_tells_an_author_someone_else_must_decide(client, jane, alice, priya):
    submitted = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    PlanVersion.objects.filter(pk=submitted.pk).update(updated_by=priya)
    client.force_login(priya)
    page = client.get(reverse("careplans:decide", kwargs={"pk": submitted.pk})).content.decode()
    assert "Record decision" not in page
    assert "someone else in the PHB team must decide on it" in page


@pytest.mark.parametrize("days", [-400, -1, 0, 39, 40, 41, 400])
def test_the_in_force_rule_on_loaded_versions_agrees_with_the_queryset(active, change_waiting, alice, days):
    """in_force_among (pages that loaded every version) and in_force_for (the database) are one rule."""
    from careplans.models import in_force_among

    on = datetime.date.today() + datetime.timedelta(days=days)
    loaded = list(PlanVersion.objects.filter(plan=active.plan))
    assert in_force_among(loaded, on=on) == PlanVersion.objects.in_force_for(active.plan, on=on)
    draft = services.plan_amend(plan=active.plan, acting_user=alice)
    loaded = list(PlanVersion.objects.filter(plan=active.plan))
    assert draft in loaded
    assert in_force_among(loaded, on=on) == PlanVersion.objects.in_force_for(active.plan, on=on)


def test_a_page_reads_the_same_lifecycle_facts_from_loaded_versions_as_a_service_asks_the_database(
    active, change_waiting, alice, priya, charlie
):
    from careplans import lifecycle
    from careplans.selectors import version_with_details

    services.plan_amend(plan=active.plan, acting_user=alice)
    loaded = list(version_with_details().filter(plan=active.plan))
    for version in loaded:
        for user in (alice, priya, charlie):
            assert lifecycle.facts(version, user, siblings=loaded) == lifecycle.facts(version, user), (
                version.status,
                user.username,
            )
