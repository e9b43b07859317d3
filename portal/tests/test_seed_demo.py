"""seed_demo: a newcomer running `make run` finds someone at every step of the journey, made by the real
services, and running it again adds nothing."""

import datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from budgets.models import BudgetVersion, SignOff
from budgets.selectors import budget_unusable_reason
from careplans.models import EndingRequest, EndingStatus, PlanVersion, Review, ReviewStatus, Status
from eligibility.models import Decision, Screening
from eligibility.selectors import is_eligible
from people.demo import demo_person
from people.models import Person, PortalAccess, User
from people.nhs_number import is_valid
from phb.models import AuditEvent
from phb.roles import Role
from portal.demo import REPRESENTATIVE, WAITING
from portal.models import Invitation, Message

pytestmark = pytest.mark.django_db

# The demo's people by their serial in people/demo.py
JANE, MOHAMMED, GRACE, TOMASZ, EILEEN, PRIYANKA, SAM, RUTH, KWAME, LILY = range(10)
AISHA, PETER, MARGARET, DAVID, FATIMA, GEORGE, HELEN, OLIVER, KEVIN = range(10, 19)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module (its letters take a while); each test runs inside this
    transaction in its own savepoint, and it is all rolled back at the end."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True), transaction.atomic():
        import_module("eligibility.migrations.0002_seed_cohorts").seed(apps, None)
        call_command("seed_demo")
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo, settings):
    settings.DEBUG = True
    return lambda serial: Person.objects.get(pk=demo_person(serial).pk)


def counts():
    return [
        model.objects.count()
        for model in (Person, User, PortalAccess, Screening, BudgetVersion, PlanVersion, Review, Message, Invitation)
    ]


def versions(person) -> list[PlanVersion]:
    return list(PlanVersion.objects.filter(plan__person=person).order_by("number"))


def due_review(person) -> Review | None:
    return Review.objects.filter(plan__person=person, status=ReviewStatus.DUE).first()


def test_it_loads_demo_data_once_however_often_it_runs(seeded):
    first, events = counts(), AuditEvent.objects.count()
    call_command("seed_demo")
    assert counts() == first
    assert AuditEvent.objects.count() == events
    assert first[0] == 19
    assert {u.role for u in User.objects.all()} == set(Role.values)


def test_someone_is_at_each_step_before_a_plan(seeded):
    assert not seeded(GRACE).screenings.exists()  # referred: not screened yet
    for serial in (TOMASZ, KWAME):
        assert seeded(serial).screenings.get().decision == Decision.AWAITING
    assert seeded(RUTH).screenings.get().outcome == "not_eligible"
    priyanka = seeded(PRIYANKA)
    assert priyanka.screenings.get().decision == Decision.APPROVED
    assert is_eligible(person=priyanka) and not priyanka.assessments.exists()
    sam = seeded(SAM)
    assert sam.assessments.exists() and not sam.budget_versions.exists()
    assert seeded(LILY).budget_versions.get().sign_off == SignOff.AWAITING
    aisha = seeded(AISHA)
    budget = aisha.budget_versions.get()
    assert budget.sign_off == SignOff.SIGNED_OFF and budget.signed_off_by.username == "priya"
    assert budget_unusable_reason(budget) is None and not aisha.support_plans.exists()


def test_someone_is_at_each_step_of_a_plan(seeded):
    today = timezone.localdate()
    assert [v.status for v in versions(seeded(JANE))] == [Status.DRAFT]
    returned, redraft = versions(seeded(PETER))
    assert (returned.status, redraft.status) == (Status.RETURNED, Status.DRAFT)
    assert "gym membership" in returned.decision_reason
    assert [v.status for v in versions(seeded(MOHAMMED))] == [Status.SUBMITTED]
    (margaret,) = versions(seeded(MARGARET))
    assert margaret.status == Status.APPROVED and margaret.start_date > today
    for serial in (OLIVER, DAVID, FATIMA, KEVIN):
        assert [v.status for v in versions(seeded(serial))] == [Status.ACTIVE]
    assert due_review(seeded(OLIVER)).due_on > today + datetime.timedelta(days=28)
    assert today <= due_review(seeded(DAVID)).due_on <= today + datetime.timedelta(days=28)
    assert due_review(seeded(FATIMA)).due_on < today


def test_someone_has_had_a_review_and_someone_is_ending_and_ended(seeded):
    today = timezone.localdate()
    eileen = seeded(EILEEN)
    done = Review.objects.get(plan__person=eileen, status=ReviewStatus.COMPLETED)
    assert done.outcome_progress.count() == 2 and done.domain_ratings.exists() and done.satisfaction
    assert due_review(eileen).due_on > today + datetime.timedelta(days=28)
    # The review led to a change: evening visits, agreed and in force, the first version kept as it was; then
    # Michael chose to take her personal care as a direct payment (payments/demo.py), the version in force now.
    assert [v.status for v in versions(eileen)] == [Status.SUPERSEDED, Status.SUPERSEDED, Status.ACTIVE]
    assert versions(eileen)[1].items.filter(description__startswith="Evening visits").exists()
    (george,) = versions(seeded(GEORGE))
    assert george.status == Status.ENDING and george.ended_on > today and due_review(seeded(GEORGE)) is None
    (helen,) = versions(seeded(HELEN))
    assert helen.status == Status.ENDED and helen.ended_on < today
    assert helen.letters.filter(kind="ending").exists()
    # Ending for money misused waits for a PHB team member to confirm it; until then the plan goes on.
    asked = EndingRequest.objects.get(plan__person=seeded(KEVIN))
    assert asked.status == EndingStatus.WAITING and asked.requested_by.username == "bob"


def test_a_patient_and_a_representative_see_records_online_and_messages_go_both_ways(seeded):
    jane, eileen = seeded(JANE), seeded(EILEEN)
    assert PortalAccess.objects.get(user__username="pat", revoked_at=None).person == jane
    michael = User.objects.get(username=REPRESENTATIVE)
    assert michael.role == Role.PATIENT
    assert michael.get_full_name() == "Michael Walsh"  # the header names him, never his e-mail
    assert PortalAccess.objects.get(user=michael, revoked_at=None).person == eileen
    assert eileen.representative_name == "Michael Walsh"
    for person in (jane, eileen):
        assert {m.from_patient for m in person.portal_messages.all()} == {True, False}
    # Jane's last message waits for her coordinator to read it.
    assert jane.portal_messages.filter(from_patient=True, read_at=None).exists()
    assert Invitation.objects.get(person=seeded(MOHAMMED)).email == WAITING


def test_someone_is_at_every_journey_stage_and_each_where_their_story_says(seeded):
    from casework.selectors import with_stage
    from casework.stages import Stage

    expected = {
        GRACE: Stage.NEW,
        RUTH: Stage.NOT_ELIGIBLE,
        TOMASZ: Stage.REFERRED,
        KWAME: Stage.REFERRED,
        PRIYANKA: Stage.SCREENED,
        SAM: Stage.ASSESSED,
        LILY: Stage.BUDGET_WAITING,
        AISHA: Stage.BUDGET_READY,
        JANE: Stage.PLAN_DRAFT,
        PETER: Stage.PLAN_RETURNED,
        MOHAMMED: Stage.PLAN_SUBMITTED,
        MARGARET: Stage.APPROVED,
        OLIVER: Stage.ACTIVE,
        KEVIN: Stage.ACTIVE,
        EILEEN: Stage.ACTIVE,
        DAVID: Stage.REVIEW_DUE,
        FATIMA: Stage.REVIEW_OVERDUE,
        GEORGE: Stage.ENDING,
        HELEN: Stage.ENDED,
    }
    staged = with_stage(Person.objects.all(), today=timezone.localdate())
    stages = {serial: Stage(staged.get(pk=seeded(serial).pk).stage) for serial in expected}
    assert stages == expected
    assert set(stages.values()) == set(Stage)


def test_it_uses_only_test_range_nhs_numbers(seeded):
    assert all(p.nhs_number.startswith("999") and is_valid(p.nhs_number) for p in Person.objects.all())


@override_settings(DEBUG=False)
def test_it_refuses_to_add_known_passwords_when_debug_is_off():
    before = counts()
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert counts() == before
