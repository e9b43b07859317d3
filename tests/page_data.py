"""Data for the page tests (tests/test_page_queries.py): the rows each page lists or shows, built as the
service builds them.

Workflow records (screenings, assessments, budgets, plans moving through their statuses, reviews,
messages) go through the services, so every row is one the product could have written. Rows the
services would only add one at a time to a draft (its outcomes and items), and rows with nothing to
check beyond the database's own constraints (people, portal access), are bulk inserted to keep 50 rows
quick; the database's constraints and the plan triggers still apply to them.

Every person made here is called "Rowmark" and a number, so a test can count which rows a page shows
whatever markup it uses (see `marked_rows`).
"""

import datetime
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from budgets import services as budget_services
from budgets.models import BudgetVersion, SignOff, Tariff
from budgets.tests.factories import add_service, make_assessment, make_eligible, make_tariff
from careplans import approval, reviews
from careplans import services as plan_services
from careplans.models import (
    DecisionEmail,
    Outcome,
    PlanEvent,
    PlanVersion,
    Review,
    ReviewKind,
    ReviewReminder,
    ReviewStatus,
    Status,
    SupportItem,
)
from careplans.schedule import ReminderKind
from careplans.tests.factories import budgeted, details
from eligibility.models import Decision, IPCCohort, Screening
from eligibility.tests.factories import IPCCohortFactory, referral
from people import services as people_services
from people.models import Person, PortalAccess, User
from people.tests.factories import PersonFactory, UserFactory
from phb.roles import Role
from portal import services as portal_services

MARK = "Rowmark"
MARKED = re.compile(rf"{MARK}(\d{{4}})", re.IGNORECASE)
# Letters are PDFs made with WeasyPrint, slow to make; the pages list letters and never open them.
STAND_IN_PDF = b"%PDF-1.4\n% a stand-in letter: these tests count queries, not pixels\n%%EOF\n"
_numbers = itertools.count(1)


def marked_rows(html: str) -> int:
    """How many different people made here a page shows (each row names one)."""
    return len(set(MARKED.findall(html)))


@dataclass
class World:
    """The personas (conftest's North team, Alice, Priya and Leo), and the whole records built for the module."""

    team: object
    coordinator: object
    approver: object
    lead: object
    records: dict = field(default_factory=dict)


def short_of(rows, n: int) -> int:
    """How many rows to add to a list (a queryset of what it lists) so that it has n.

    A list's builder tops the list up rather than adding n, so a test can build 5 rows, then 50, and the
    rows other builders made (the whole records) count too: the list has exactly n.
    """
    return max(0, n - rows.count())


# People


def people(w: World, n: int, **values) -> list[Person]:
    """n people in the coordinator's team, with Alice as lead coordinator, inserted at once."""
    built = []
    for _ in range(n):
        person = PersonFactory.build(
            care_team=w.team,
            lead_coordinator=w.coordinator,
            family_name=f"{MARK}{next(_numbers):04d}",
            **values,
        )
        person.full_clean(validate_unique=False)
        built.append(person)
    return Person.objects.bulk_create(built)


def person(w: World, **values) -> Person:
    return people(w, 1, **values)[0]


def caseload(w: World, n: int) -> None:
    """n people in the team."""
    people(w, short_of(Person.objects.filter(care_team=w.team), n))


def coordinators(w: World, n: int) -> None:
    """n coordinators in the team (the choices on the person and plan forms)."""
    for _ in range(short_of(User.objects.filter(role=Role.COORDINATOR, teams=w.team), n)):
        UserFactory(username=f"coordinator-{next(_numbers)}", role=Role.COORDINATOR, teams=[w.team])


def staff_with_factors(w: World, n: int) -> None:
    """n coordinators in the team, each with an authenticator app and a set of recovery codes."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from twofactor.services import recovery_codes_issue

    coordinators(w, n)
    for user in User.objects.filter(role=Role.COORDINATOR, teams=w.team, totpdevice__isnull=True):
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        recovery_codes_issue(user=user)


def patient_for(*persons: Person):
    """A patient or representative who sees these people's records online."""
    user = UserFactory(username=f"portal-{next(_numbers)}@example.com", role=Role.PATIENT)
    PortalAccess.objects.bulk_create(
        PortalAccess(user=user, person=someone, relationship="Representative") for someone in persons
    )
    return user


def online_access(w: World, someone: Person, n: int) -> list:
    """n patients or representatives who see the person's records online."""
    return [patient_for(someone) for _ in range(n)]


# Screenings, assessments, budgets


def screenings(w: World, someone: Person, n: int) -> None:
    """n screenings, all eligible (the person's screening history)."""
    for k in range(n):
        make_eligible(person=someone, coordinator=w.coordinator, on=datetime.date(2025, 1, 1) + datetime.timedelta(k))


def referral_with(w: World, someone: Person, n: int):
    """A referral in n IPC cohorts that need a decision, with n services paid by a block contract."""
    cohorts = [
        IPCCohortFactory(code=f"cohort-{next(_numbers)}", name=f"Cohort {k}", needs_decision=True) for k in range(n)
    ]
    screening = referral(
        person=someone, coordinator=w.coordinator, services_in_block=[f"Block service {k}" for k in range(n)]
    )
    screening.cohorts.set(cohorts)
    return screening


def assessment_with_services(w: World, someone: Person, n: int):
    make_eligible(person=someone, coordinator=w.coordinator)
    assessment = make_assessment(person=someone, coordinator=w.coordinator)
    for k in range(n):
        add_service(
            assessment=assessment,
            coordinator=w.coordinator,
            name=f"Service {k}",
            funding=("nhs_spot", "nhs_block", "council")[k % 3],
            unit_cost="12.00",
            units="2",
        )
    return assessment


def budget_from(w: World, assessment, *, sign_off: bool = False):
    """A budget version; with sign_off, an adjustment large enough that the PHB team must sign it off."""
    sheet_total = sum(
        (s.unit_cost * s.units * 52 for s in assessment.services.all() if s.funding != "council"), Decimal("0")
    )
    adjustment = (sheet_total * Decimal("0.5")).quantize(Decimal("0.01")) if sign_off else Decimal("0")
    return budget_services.budget_version_create(
        assessment=assessment,
        method="costed",
        adjustment=adjustment,
        adjustment_reason="Extra support at night" if sign_off else "",
        council_share_means_tested=False,
        acting_user=w.coordinator,
    )


def tariffs(w: World, n: int) -> None:
    """n tariffs, a month or more apart, before April 2025."""
    for k in range(short_of(Tariff.objects.all(), n)):
        start = datetime.date(2025, 4, 1) - datetime.timedelta(days=30 * next(_numbers))
        make_tariff(lead=w.lead, effective_from=start, price=str(200 + k))


# Plans


def draft_plan(w: World, someone: Person, *, rows: int = 1):
    """A draft with everything needed to submit it, and `rows` outcomes and items."""
    version = plan_services.plan_start(
        person=someone, budget_version=budgeted(person=someone, coordinator=w.coordinator), acting_user=w.coordinator
    )
    version = plan_services.plan_update(
        version=version,
        expected_revision=version.revision,
        acting_user=w.coordinator,
        care_coordinator=w.coordinator,
        **details(),
    )
    add_rows(version, rows)
    return version


def add_rows(version, rows: int) -> None:
    """Outcomes and items on a draft, up to `rows` of each, as the outcome and item forms would save them.

    The first item is the personal assistant the direct payment in `details()` pays for (£15 × 8 hours a
    week); the rest are small one-off purchases, so the plan stays within its budget.
    """
    have = version.outcomes.count()
    outcomes = []
    for k in range(have, rows):
        outcome = Outcome(
            plan_version=version,
            domain=("social", "daily_living", "physical_health")[k % 3],
            goal=f"Outcome {k + 1}: get back to what I enjoy",
            measure="I tell my coordinator at the review",
            target_date=datetime.date(2026, 9, 1),
        )
        outcome.full_clean(validate_unique=False, validate_constraints=False)
        outcomes.append(outcome)
    Outcome.objects.bulk_create(outcomes)
    outcomes = list(version.outcomes.order_by("created_at", "id"))
    paid_directly = version.items.filter(money_option="direct_payment").exists()
    items = []
    for k in range(version.items.count(), rows):
        first = k == 0 and not paid_directly
        item = SupportItem(
            plan_version=version,
            description="Personal assistant" if first else f"Item {k + 1}: class or equipment",
            category="personal_care" if first else "activities",
            unit_cost=Decimal("15.00") if first else Decimal("10.00"),
            quantity=Decimal("8") if first else Decimal("1"),
            frequency="week" if first else "one_off",
            money_option="direct_payment" if first else "notional",
        )
        item.full_clean(validate_unique=False, validate_constraints=False)
        items.append(item)
    items = SupportItem.objects.bulk_create(items)
    links = SupportItem.outcomes.through
    links.objects.bulk_create(
        links(supportitem_id=item.pk, outcome_id=outcomes[min(k, len(outcomes) - 1)].pk)
        for k, item in enumerate(items, start=rows - len(items))
    )


def submit(w: World, version):
    return plan_services.plan_submit(version=version, acting_user=w.coordinator)


def approve(w: World, version):
    """Approved by Priya; plans start on 1 April 2026, so they are active at once."""
    return approval.plan_approve(
        version=submit(w, version), financially_appropriate=True, clinically_appropriate=True, acting_user=w.approver
    )


def amend(w: World, plan):
    """A new draft of an agreed plan, agreed afresh by the person, ready to submit."""
    draft = plan_services.plan_amend(plan=plan, acting_user=w.coordinator)
    return plan_services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=w.coordinator,
        agreed_on=timezone.localdate(),
        agreement_method="signed",
    )


def plan_history(w: World, someone: Person, *, versions: int, rows: int):
    """A plan agreed `versions` times (each version replacing the one before), the active one last.

    The last two versions have `rows` outcomes and items; earlier ones have one of each.
    Returns the active version.
    """
    draft = draft_plan(w, someone, rows=rows if versions <= 2 else 1)
    active = approve(w, draft)
    for number in range(2, versions + 1):
        draft = amend(w, active.plan)
        if number == versions - 1:
            add_rows(draft, rows)
        active = approve(w, draft)
    return active


def changed_draft(w: World, active):
    """A new version of an agreed plan with every item costing a little more (a change on each row)."""
    draft = amend(w, active.plan)
    draft.items.update(quantity=Decimal("2"))
    draft.items.filter(money_option="direct_payment").update(quantity=Decimal("8"))
    return draft


def submitted_plans(w: World, n: int) -> None:
    for someone in people(w, short_of(PlanVersion.objects.filter(status=Status.SUBMITTED), n)):
        submit(w, draft_plan(w, someone, rows=2))


def ask_to_end(w: World, active):
    """An ending of the plan for money misused, asked for by the coordinator: waiting for the PHB team."""
    return approval.ending_ask(
        version=active,
        reason="money_misused",
        ended_on=timezone.localdate() + datetime.timedelta(days=30),
        note="Receipts were not kept",
        unspent_to_repay=None,
        acting_user=w.coordinator,
    )


def endings(w: World, n: int) -> None:
    """n endings waiting for the PHB team to confirm them, each of a plan of its own."""
    from careplans.models import EndingRequest, EndingStatus

    for someone in people(w, short_of(EndingRequest.objects.filter(status=EndingStatus.WAITING), n)):
        ask_to_end(w, approve(w, draft_plan(w, someone)))


def completed_reviews(w: World, active, n: int) -> None:
    """n reviews asked for and recorded with the person: progress on every outcome, a rating for each part of life."""
    outcomes = list(active.outcomes.all())
    for k in range(n):
        review = reviews.review_request(plan=active.plan, reason="concern_raised", acting_user=w.coordinator)
        reviews.review_complete(
            review=review,
            completed_on=datetime.date(2026, 5, 1) + datetime.timedelta(days=k),
            outcome_progress={str(o.key): ("partly", f"Getting there ({k})") for o in outcomes},
            domain_ratings={o.domain: "better" for o in outcomes},
            money_enough=True,
            money_notes="",
            used_as_planned=True,
            use_notes="",
            safety_notes="",
            satisfaction="satisfied",
            decision="continue",
            acting_user=w.coordinator,
        )


def reviews_due(w: World, n: int) -> None:
    """n reviews to do, two for each person: the first review of their active plan (overdue: the plans
    started on 1 April 2026) and one asked for since."""
    more = short_of(Review.objects.filter(status=ReviewStatus.DUE), n)
    for k, someone in enumerate(people(w, (more + 1) // 2)):
        active = approve(w, draft_plan(w, someone))
        if 2 * k + 1 < more:
            reviews.review_request(plan=active.plan, reason="health_changed", acting_user=w.coordinator)


def messages(w: World, someone: Person, n: int, *, patient) -> None:
    """n messages in the person's thread, the person and their coordinator taking turns; the last,
    from the coordinator, not read yet."""
    for k in range(n):
        sender = patient if (n - k) % 2 == 0 else w.coordinator
        portal_services.message_send(person=someone, body=f"Message {k + 1} about the next visit", acting_user=sender)


def record_views(w: World, someone: Person, n: int) -> None:
    """n rows in the person's record history: staff opening the record."""
    for _ in range(n):
        people_services.person_record_view(person=someone, acting_user=w.coordinator)


def record_changes(w: World, someone: Person, n: int) -> None:
    """n changes to the person's record, as the person form saves them: their lead coordinator (by turns
    nobody and Alice: a name the history looks up), their address and whether they want review reminders."""
    for k in range(n):
        someone.refresh_from_db()
        people_services.person_update(
            person=someone,
            expected_version=someone.version,
            acting_user=w.coordinator,
            lead_coordinator=None if k % 2 == 0 else w.coordinator,
            address_line_1=f"{k + 1} Park Row",
            wants_review_reminders=k % 2 == 1,
        )


def failed_messages(w: World, n: int) -> None:
    """n messages the outbox gave up on: half decision e-mails (the approval's own, then more events of the
    plan), half review reminders to the coordinator (as the sweep writes them)."""
    failed = {"failed_at__isnull": False}
    more = short_of(DecisionEmail.objects.filter(**failed), n) - ReviewReminder.objects.filter(**failed).count()
    if more <= 0:
        return
    active = approve(w, draft_plan(w, person(w)))
    decisions = [DecisionEmail.objects.get(event__plan_version=active)]
    for k in range((more + 1) // 2 - 1):
        event = PlanEvent.objects.create(
            plan_version=active, actor=w.approver, from_status=Status.SUBMITTED, to_status=Status.APPROVED
        )
        decisions.append(
            DecisionEmail.objects.create(
                event=event, to=f"coordinator{k}@example.nhs.uk", subject="Plan approved", body="The plan was approved."
            )
        )
    reminders = []
    for _ in range(more - len(decisions)):
        review = reviews.review_request(plan=active.plan, reason="concern_raised", acting_user=w.coordinator)
        reminders.append(ReviewReminder.objects.create(review=review, kind=ReminderKind.COORDINATOR_28_DAYS))
        # A plan has one unscheduled review waiting at most: this one is set aside so the next is a new one.
        Review.objects.filter(pk=review.pk).update(status=ReviewStatus.CANCELLED)
    for model, rows in ((DecisionEmail, decisions), (ReviewReminder, reminders)):
        model.objects.filter(pk__in=[row.pk for row in rows]).update(
            attempts=settings.OUTBOX_MAX_ATTEMPTS, failed_at=timezone.now(), last_error="SMTPRecipientsRefused: refused"
        )


def awaiting_sign_off(w: World, n: int) -> None:
    for someone in people(w, short_of(BudgetVersion.objects.filter(sign_off=SignOff.AWAITING), n)):
        budget_from(w, assessment_with_services(w, someone, 1), sign_off=True)


def referrals(w: World, n: int) -> None:
    cohort = IPCCohortFactory(code="learning-disability", name="Learning disability", needs_decision=True)
    for someone in people(w, short_of(Screening.objects.filter(decision=Decision.AWAITING), n)):
        referral(person=someone, coordinator=w.coordinator).cohorts.add(cohort)


def invitations(w: World, someone: Person, n: int):
    """n invitations to see the person's records online; returns the last (with its token)."""
    made = [
        portal_services.invitation_create(
            person=someone,
            email=f"invitee-{next(_numbers)}@example.com",
            relationship="other",
            link_base="http://testserver/",
            acting_user=w.coordinator,
        )
        for _ in range(n)
    ]
    return made[-1]


def assessments(w: World, someone: Person, n: int) -> None:
    make_eligible(person=someone, coordinator=w.coordinator)
    for k in range(n):
        make_assessment(person=someone, coordinator=w.coordinator, on=datetime.date(2026, 1, 1) + datetime.timedelta(k))


def budget_versions(w: World, someone: Person, n: int):
    """n indicative budgets worked out for the person, the latest usable; returns the latest."""
    assessment = assessment_with_services(w, someone, 1)
    for _ in range(n):
        latest = budget_from(w, assessment)
    return latest


def cohorts(w: World, n: int) -> None:
    for k in range(short_of(IPCCohort.objects.all(), n)):
        IPCCohortFactory(code=f"offered-{next(_numbers)}", name=f"Offered cohort {k}")


@dataclass(frozen=True)
class Record:
    """A person's whole record with n rows of everything, for the pages that read it."""

    person: Person
    patient: object  # sees the record online
    active: object  # the version in force, with n outcomes and items
    earlier: object  # the version it replaced, with n outcomes and items
    submitted: object  # a change to the plan waiting for a decision (every item changed)
    review: object  # the scheduled review still to do


def whole_record(w: World, n: int) -> Record:
    """n screenings, a plan agreed n times, n reviews done, n people with online access, n invitations
    waiting to be accepted, n messages, and a change waiting for the PHB team."""
    someone = person(w)
    patient = patient_for(someone)
    screenings(w, someone, n)
    active = plan_history(w, someone, versions=n, rows=n)
    completed_reviews(w, active, n)
    online_access(w, someone, n - 1)
    invitations(w, someone, n)
    messages(w, someone, n, patient=patient)
    submitted = submit(w, changed_draft(w, active))
    return Record(
        person=someone,
        patient=patient,
        active=active,
        earlier=active.plan.versions.get(number=active.number - 1),
        submitted=submitted,
        review=active.plan.reviews.get(kind=ReviewKind.SCHEDULED, status=ReviewStatus.DUE),
    )


# Signing in


def lockouts(w: World, n: int) -> None:
    """n locked sign-ins: each an account that got its password wrong 5 times from one address."""
    from axes.models import AccessAttempt

    more = short_of(AccessAttempt.objects.filter(failures_since_start__gte=5), n)
    users = [
        UserFactory(first_name="Locked", last_name=f"{MARK}{next(_numbers):04d}", role=Role.PATIENT)
        for _ in range(more)
    ]
    AccessAttempt.objects.bulk_create(
        AccessAttempt(
            username=user.email,
            ip_address="192.0.2.1",
            user_agent="",
            get_data="",
            post_data="",
            http_accept="",
            path_info="/sign-in/",
            failures_since_start=5,
            attempt_time=timezone.now(),
        )
        for user in users
    )


# Payments


def finance(user):
    """The user with the finance permission (payments.access), as an administrator gives it."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="run_payments"))
    return type(user).objects.get(pk=user.pk)  # permissions are cached on the instance


def payment_run(w: World, n: int, *, confirm: bool = True):
    """A payment run of at least n payments: a plan agreed with n items (its one-offs paid on its start date, its
    direct payment every 4 weeks from then), gathered with everything else due by today by the approver and,
    unless confirm is False, confirmed by the lead (both given the finance permission)."""
    from payments import services as payment_services

    plan_history(w, person(w), versions=1, rows=n)
    run = payment_services.run_create(due_by=timezone.localdate(), acting_user=finance(w.approver))
    return payment_services.run_confirm(run=run, acting_user=finance(w.lead)) if confirm else run


def payment_runs(w: World, n: int) -> None:
    """n payment runs (topped up), each gathering a payment of its own: a plan agreed (its schedule written by the
    service), then a one-off for each run, bulk inserted due a day apart before the plan starts, so that a run
    made up to each of those days gathers one. Made by the approver; the first confirmed and the second
    cancelled by the lead."""
    from payments import services as payment_services
    from payments.models import PaymentRun, ScheduleLine
    from payments.rules import LineKind

    more = short_of(PaymentRun.objects.all(), n)
    if not more:
        return
    active = approve(w, draft_plan(w, person(w), rows=1))
    days = [active.start_date - datetime.timedelta(days=more - k) for k in range(more)]
    ScheduleLine.objects.bulk_create(
        ScheduleLine(
            plan=active.plan,
            plan_version=active,
            kind=LineKind.ONE_OFF,
            money_option="direct_payment",  # a run pays only money into an account
            payee=f"Holder {k + 1}",
            period_start=day,
            period_end=day,
            due_on=day,
            amount=Decimal("10.00"),
        )
        for k, day in enumerate(days)
    )
    maker, checker = finance(w.approver), finance(w.lead)
    runs = [payment_services.run_create(due_by=day, acting_user=maker) for day in days]
    payment_services.run_confirm(run=runs[0], acting_user=checker)
    if len(runs) > 1:
        payment_services.run_cancel(run=runs[1], acting_user=checker)


# Repayments and stopping (payments.reclaims)


def reclaim(w: World, active, *, responded: bool = True, stop: bool = False):
    """A repayment (or, with stop, a stopping) of the active plan's direct payments, proposed by the approver and
    waiting for a decision; responded: the person's response recorded by the coordinator, so the lead may decide
    now. Letters are real PDFs unless the caller patches payments.reclaims.render_pdf."""
    from payments import reclaims as reclaim_services
    from payments.models import AfterStopping

    today = timezone.localdate()
    if stop:
        action = reclaim_services.propose_stop(
            plan=active.plan,
            effective_on=reclaim_services.respond_by_for(today) + datetime.timedelta(days=7),
            after_stopping=AfterStopping.NOTIONAL,
            reasons="The money has not been used as agreed.",
            acting_user=w.approver,
        )
    else:
        action = reclaim_services.propose_reclaim(
            plan=active.plan,
            amount=Decimal("120.00"),
            reasons="The money has not been used as agreed.",
            from_period=reclaim_services.payment_periods(active.plan, on=today)[0][0],
            acting_user=w.approver,
        )
    if responded:
        action = reclaim_services.record_response(
            action=action, response="I can explain.", response_on=today, acting_user=w.coordinator
        )
    return action


def reclaims_of(w: World, active, n: int):
    """n repayments of the plan: n - 1 withdrawn by the lead, and the last waiting (responded)."""
    from payments import reclaims as reclaim_services

    for _ in range(n - 1):
        reclaim_services.withdraw(action=reclaim(w, active, responded=False), acting_user=w.lead)
    return reclaim(w, active)


def decided_reclaim(w: World, active):
    """A repayment the lead agreed, taken off the next payment (its decision letter made)."""
    from payments import reclaims as reclaim_services
    from payments.models import Recovery

    return reclaim_services.decide(
        action=reclaim(w, active),
        agree=True,
        decision_reasons="Not used as agreed.",
        recovery=Recovery.DEDUCT,
        instalments=1,
        acting_user=w.lead,
    )


# Statements, spending, receipts and holds (payments.statement_services, payments.holds)

STAND_IN_RECEIPT = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40  # a PNG's signature: a receipt is typed from its content


def spending(w: World, active, n: int):
    """A statement of n payments out of the plan's account, each to a payee of its own and none matched yet,
    imported by the coordinator (dated today, ISO dates). Returns the statement."""
    from payments import statement_services

    today = timezone.localdate().isoformat()
    rows = "".join(f"{today},PAYEE NUMBER {i},-{i + 10}.50\n" for i in range(n))
    data_ = f"Date,Description,Amount\n{rows}".encode()
    return statement_services.import_statement(
        plan=active.plan, data=data_, file_name="statement.csv", acting_user=w.coordinator
    )


def receipt(w: World, active):
    """Spending typed in by the coordinator today with a receipt (a PNG). Returns the receipt."""
    from payments import statement_services
    from payments.balance import TransactionKind

    return statement_services.add_by_hand(
        plan=active.plan,
        on=timezone.localdate(),
        amount=Decimal("9.99"),
        kind=TransactionKind.SPEND,
        description="Chemist",
        acting_user=w.coordinator,
        receipt=("receipt.png", STAND_IN_RECEIPT),
    ).receipt


def hold(w: World):
    """Payments held from today, with no day to resume yet, by the coordinator: on a plan of its own (a person
    agreed a plan of one item), so the team's other records are paid as usual."""
    from payments import holds

    active = plan_history(w, person(w), versions=1, rows=1)
    return holds.hold_payments(
        plan=active.plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=w.coordinator
    )
