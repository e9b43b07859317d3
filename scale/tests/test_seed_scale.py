"""seed_scale: a small run has every stage, route and plan state in proportion, passes the models' own
validation and the services' rules, is the same for the same seed, and the bench users' pages work.

Each test seeds 300 people inside its own transaction (the command then writes in this process, and the
rollback clears it), about two seconds each.
"""

import hashlib
import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from budgets.models import Assessment, AssessmentNeed, BudgetVersion, CurrentService, SignOff
from careplans import approval, reminders, rules, selectors
from careplans.models import (
    DecisionEmail,
    Letter,
    LetterKind,
    Outcome,
    PlanEvent,
    PlanVersion,
    Review,
    ReviewDomainRating,
    ReviewOutcome,
    ReviewReminder,
    ReviewStatus,
    Status,
    SupportItem,
    SupportPlan,
)
from eligibility.models import Decision, Screening
from eligibility.rules import Route
from people import nhs_number
from people.models import CareTeam, Person, PortalAccess, User
from people.tests.factories import PersonFactory
from phb.models import AuditEvent
from phb.roles import Role
from portal.models import Invitation, Message
from scale.copy import random_uuid
from scale.seed import FIRST_SERIAL, fictional_nhs_numbers
from scale.staff import BENCH_TOTP_KEY, PERSONAS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_cohorts")]

PEOPLE = 300
PASSWORD = "bench-test-password-1"


def seed(*extra, people=PEOPLE):
    call_command("seed_scale", "--people", str(people), "--password", PASSWORD, *extra)


@pytest.fixture
def seeded():
    seed("--anchor", timezone.localdate().isoformat())


def shares(queryset, field) -> dict:
    return dict(queryset.values_list(field).annotate(n=Count("pk")).values_list(field, "n"))


def test_it_writes_every_stage_route_and_state_in_proportion(seeded):
    people = Person.objects.count()
    assert people == PEOPLE
    assert set(shares(PlanVersion.objects, "status")) == set(Status.values)
    assert set(shares(Screening.objects, "route")) == {route.value for route in Route}
    assert set(shares(Screening.objects, "decision")) == set(Decision.values)
    assert set(shares(BudgetVersion.objects, "sign_off")) == set(SignOff.values)
    assert set(shares(Letter.objects, "kind")) == set(LetterKind.values)
    assert set(shares(Review.objects, "status")) == set(ReviewStatus.values)
    # About three people in four have a plan; about five reviews a person, most of them done.
    assert 0.65 < SupportPlan.objects.count() / people < 0.85
    assert 4 < Review.objects.count() / people < 6
    assert Review.objects.filter(status=ReviewStatus.COMPLETED).count() > 0.7 * Review.objects.count()
    assert ReviewOutcome.objects.exists() and ReviewDomainRating.objects.exists()
    # Reminders: the sent history, and the reviews due soon already reminded about.
    assert ReviewReminder.objects.filter(sent_at__isnull=False).count() > Review.objects.count()
    soon = Review.objects.filter(status=ReviewStatus.DUE, due_on__lte=timezone.localdate() + timedelta(days=20))
    assert ReviewReminder.objects.filter(review__in=soon).exists()
    # Every decision has its e-mail and letter; every plan event its version.
    assert DecisionEmail.objects.count() == Letter.objects.count() > 0
    assert PortalAccess.objects.exists() and Message.objects.exists() and Invitation.objects.exists()
    assert AuditEvent.objects.filter(person_id__isnull=False).count() > 10 * people
    # The bench teams: about 60 people, and (at this size) a third of everyone.
    sizes = {
        team.members.get(username__startswith="bench-").username: team.people.count()
        for team in CareTeam.objects.filter(members__username__startswith="bench-coordinator")
    }
    assert sizes == {"bench-coordinator-60": 60, "bench-coordinator-600": PEOPLE // 3}
    assert set(User.objects.filter(username__in=PERSONAS).values_list("username", flat=True)) == set(PERSONAS)
    # The staff personas, and only they, have the bench-only authenticator; the patient signs in with a password.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with_app = dict(TOTPDevice.objects.filter(confirmed=True).values_list("user__username", "key"))
    assert with_app == {name: BENCH_TOTP_KEY for name, role in PERSONAS.items() if role != Role.PATIENT}


def test_rows_pass_the_models_validation_and_the_plan_rules(seeded):
    for model in (
        Person,
        Screening,
        Assessment,
        AssessmentNeed,
        CurrentService,
        BudgetVersion,
        SupportPlan,
        PlanVersion,
        Outcome,
        SupportItem,
        PlanEvent,
        Review,
        ReviewOutcome,
        ReviewReminder,
        Letter,
        DecisionEmail,
        PortalAccess,
        Invitation,
        Message,
        User,
    ):
        for row in model.objects.order_by("?")[:25]:
            try:
                row.full_clean()
            except ValidationError as error:
                pytest.fail(f"{model.__name__} {row.pk}: {error.message_dict}")
    # Everything sent to the PHB team was complete, as plan_submit demands.
    for version in selectors.version_with_details().filter(submitted_at__isnull=False):
        assert rules.missing(selectors.snapshot(version)) == [], version.status
    # Approved versions' agreed amount is the plan's total.
    for version in selectors.version_with_details().filter(agreed_annual__isnull=False)[:50]:
        assert version.agreed_annual == rules.totals(selectors.snapshot(version)).annual


def test_the_data_is_consistent_with_the_services(seeded):
    today = timezone.localdate()
    # Nothing is left for the hourly jobs: approved plans start in the future, ending ones end in the future.
    assert approval.activate_due_plans(on=today) == 0
    assert approval.finish_ended_plans(on=today) == 0
    # A review still due is on the version in force (or the approved one not started yet).
    for review in Review.objects.filter(status=ReviewStatus.DUE).select_related("plan", "plan_version"):
        in_force = PlanVersion.objects.in_force_for(review.plan, on=today)
        assert review.plan_version == (in_force or review.plan_version)
        assert review.plan_version.status in Status.STANDING
    # A plan has one version open and one running at most (the database's constraints hold).
    assert not PlanVersion.objects.open().values("plan").annotate(n=Count("pk")).filter(n__gt=1).exists()
    # The people a plan is for are eligible, and their budget is usable.
    for plan in SupportPlan.objects.select_related("person")[:40]:
        budget = plan.versions.first().budget_version
        assert budget.sign_off in SignOff.USABLE
    # The reminder sweep finds only the windows that open today, and nothing the second time.
    reminders.sweep(today=today, queue=False)
    assert reminders.sweep(today=today, queue=False).claimed == 0


def test_the_triggers_are_still_on(seeded):
    submitted = PlanVersion.objects.filter(status=Status.SUBMITTED).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanVersion.objects.filter(pk=submitted.pk).update(what_matters="Changed after submission")
    with pytest.raises(IntegrityError), transaction.atomic():
        Outcome.objects.filter(plan_version=submitted).update(goal="Changed")
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE phb_auditevent SET summary = 'changed'")


def sign_in(client, username) -> bool:
    """Through the sign-in page, with the account's e-mail address and the seeded password; staff then
    give a code from their bench authenticator (scale.staff.BENCH_TOTP_KEY), as scripts/bench_http.py does."""
    import time

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from twofactor.rules import needs_second_factor, next_code

    user = User.objects.get(username=username)
    if client.post("/sign-in/", {"username": user.email, "password": PASSWORD}).status_code != 302:
        return False
    if not needs_second_factor(user):
        return True
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert device.key == BENCH_TOTP_KEY
    while (code := next_code(device.key, now=time.time(), last_t=device.last_t, drift=device.drift)) is None:
        time.sleep(1)
    return client.post("/account/second-factor/", {"code": code})["Location"] == "/"


def test_the_bench_users_sign_in_and_their_pages_work(client, seeded):
    coordinator = User.objects.get(username="bench-coordinator-60")
    team = coordinator.teams.get()
    mine = Person.objects.filter(care_team=team, support_plans__versions__status=Status.ACTIVE).first()
    theirs = Person.objects.exclude(care_team=team).first()
    version = PlanVersion.objects.filter(plan__person=mine, status=Status.ACTIVE).get()
    waiting = PlanVersion.objects.filter(status=Status.SUBMITTED).first()
    patient = PortalAccess.objects.select_related("person").get(user__username="bench-patient").person
    plan = PlanVersion.objects.filter(plan__person=patient, status=Status.ACTIVE).get()
    assert plan.items.count() == 15 and plan.plan.reviews.count() >= 3
    assert Message.objects.filter(person=patient).exists()
    pages = {
        "bench-coordinator-60": ["/people/", f"/people/{mine.pk}/", f"/plan-versions/{version.pk}/", "/reviews/"],
        "bench-coordinator-600": ["/people/", "/reviews/"],
        "bench-phb-team": [
            "/people/",
            f"/people/{theirs.pk}/",
            "/plans-to-decide/",
            "/referrals/",
            "/budgets-to-sign-off/",
            "/reviews/",
            f"/plan-versions/{waiting.pk}/",
        ],
        "bench-lead": ["/plans-to-decide/", "/messages-not-sent/"],
        "bench-patient": [
            "/my/",
            f"/my/{patient.pk}/",
            f"/my/{patient.pk}/plan/",
            f"/my/{patient.pk}/reviews/",
            f"/my/{patient.pk}/messages/",
            f"/my/{patient.pk}/documents/",
        ],
    }
    for username, urls in pages.items():
        assert sign_in(client, username), username
        for url in urls:
            assert client.get(url, follow=True).status_code == 200, (username, url)
        client.logout()
    # Outsiders are kept out: another team's person, and staff pages for the patient.
    assert sign_in(client, "bench-coordinator-60")
    assert client.get(f"/people/{theirs.pk}/").status_code == 404
    client.logout()
    assert sign_in(client, "bench-patient")
    assert client.get("/people/").status_code == 404
    assert client.get(f"/my/{theirs.pk}/").status_code == 404


def digest() -> str:
    rows = [
        *Person.objects.order_by("id").values_list("id", "nhs_number", "given_name", "family_name", "date_of_birth"),
        *PlanVersion.objects.order_by("id").values_list("id", "status", "start_date", "agreed_annual"),
        *Review.objects.order_by("id").values_list("id", "status", "due_on", "plan_version_id"),
        *User.objects.order_by("id").values_list("id", "username"),
        *AuditEvent.objects.order_by("id").values_list("id", "action", "object_id"),
        *ReviewReminder.objects.order_by("id").values_list("id", "review_id", "kind", "sent_at"),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    anchor = timezone.localdate().isoformat()
    found = []
    for seed_value in ("7", "7", "8"):
        with transaction.atomic():
            seed("--seed", seed_value, "--anchor", anchor, people=120)
            found.append(digest())
            transaction.set_rollback(True)
    assert found[0] == found[1] != found[2]


def test_nhs_numbers_are_valid_distinct_and_from_the_test_range():
    numbers = fictional_nhs_numbers(200_001, random.Random(1))
    assert len(set(numbers)) == 200_001
    assert all(number.startswith("999") and nhs_number.is_valid(number) for number in numbers[:5000])
    # The same numbers people.nhs_number.test_range_number gives, from FIRST_SERIAL's block on.
    first_block = FIRST_SERIAL // 9 * 9
    assert set(fictional_nhs_numbers(90, random.Random(1))) == {
        nhs_number.test_range_number(serial) for serial in range(first_block, first_block + 90)
    }


def test_uuids_come_from_the_seeded_generator():
    import uuid

    one, two = random.Random(5), random.Random(5)
    made = random_uuid(one)
    assert made == str(uuid.UUID(int=two.getrandbits(128), version=4))
    assert uuid.UUID(made).version == 4


@override_settings(DEBUG=False)
def test_it_refuses_a_database_with_people_unless_forced():
    PersonFactory()
    with pytest.raises(CommandError, match="already has people"):
        seed(people=100)
    assert not User.objects.filter(role=Role.COORDINATOR).exists()
    seed("--force", people=100)
    assert Person.objects.count() == 101
    # Twice on one database: the bench users are there already.
    with pytest.raises(CommandError, match="seeded before"):
        seed("--force", people=100)
