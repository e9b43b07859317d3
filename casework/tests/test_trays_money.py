"""The money in use in the work trays: a coordinator's people's money flags ("Money to look at"), and for the PHB
team the repayments and stoppings waiting for a decision and the payment runs waiting for a second person. Each
row links to the page that does the work; the header's counts include them."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from careplans.models import SupportPlan
from careplans.tests.factories import approved_plan
from casework import trays
from payments import flagging
from payments.balance import FlagCode
from payments.models import ActionKind, ActionStatus, MoneyAction, MoneyFlag, PaymentRun, RunStatus
from people.backends import UserWithTeamsBackend
from phb import freshness
from tests.page_data import finance

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def plan_of(person, user) -> SupportPlan:
    return SupportPlan.objects.create(person=person, created_by=user)


def flag(plan, code: FlagCode, *, raised_on=None) -> MoneyFlag:
    return MoneyFlag.objects.create(
        plan=plan,
        person_id=plan.person_id,
        code=code,
        sentence="Said on the money page.",
        raised_on=raised_on or timezone.localdate(),
    )


def proposal(plan, proposer, *, kind=ActionKind.RECLAIM, respond_by=None, response_on=None) -> MoneyAction:
    return MoneyAction.objects.create(
        plan=plan,
        kind=kind,
        amount=Decimal("300.00") if kind == ActionKind.RECLAIM else None,
        effective_on=timezone.localdate() + datetime.timedelta(days=40) if kind == ActionKind.STOP else None,
        reasons="The account holds more than the plan needs.",
        respond_by=respond_by or timezone.localdate() + datetime.timedelta(days=28),
        response_on=response_on,
        response="I agree." if response_on else "",
        letter_pdf=b"%PDF-",
        proposed_by=proposer,
    )


def sections(user, now=None):
    found = trays.rows_for(trays.Ask(user=user, now=now or timezone.now()), *trays.Tray)
    return {section.source.key: section for section in found}


def names(section):
    return [row.name for row in section.rows]


# A coordinator's money to look at


def test_a_coordinator_sees_their_peoples_money_flags_linking_to_the_money_page(jane, sam, alice, charlie):
    janes, sams = plan_of(jane, alice), plan_of(sam, charlie)
    flag(janes, FlagCode.STATEMENT_OVERDUE, raised_on=days_ago(9))
    flag(sams, FlagCode.SURPLUS)
    section = sections(alice)["money_flags"]
    assert names(section) == ["Jane Smith"] and section.total == 1
    row = section.rows[0]
    assert row.link == reverse("payments:money", kwargs={"plan_id": janes.pk})
    assert row.says == "A statement is overdue. Look at the money and talk to the person."
    assert row.since == days_ago(9) and row.days == 9 and row.waiting == "Waiting 9 days"
    assert names(sections(charlie)["money_flags"]) == ["Sam Taylor"]


def test_each_flag_is_a_row_oldest_first_and_only_the_people_a_coordinator_leads_unless_my_team(
    north, jane, alice, bob
):
    from people.tests.factories import PersonFactory

    bobs = PersonFactory(given_name="Bobs", family_name="Person", care_team=north, lead_coordinator=bob)
    janes = plan_of(jane, alice)
    flag(janes, FlagCode.RUNS_OUT, raised_on=days_ago(2))
    flag(janes, FlagCode.NOT_IN_PLAN, raised_on=days_ago(5))
    flag(plan_of(bobs, bob), FlagCode.SURPLUS, raised_on=days_ago(20))
    section = sections(alice)["money_flags"]
    assert [row.says.split(".")[0] for row in section.rows] == ["Spending not in the plan", "The money may run out"]
    assert [row.days for row in section.rows] == [5, 2]
    team = trays.rows_for(trays.Ask(alice, timezone.now(), scope=trays.Scope.TEAM), trays.Tray.NEEDS_YOU)
    team = next(s for s in team if s.source.key == "money_flags")
    assert names(team) == ["Bobs Person", "Jane Smith", "Jane Smith"]


def test_the_phb_team_has_no_money_flags_tray(jane, alice, priya):
    flag(plan_of(jane, alice), FlagCode.SURPLUS)
    assert "money_flags" not in sections(priya)


def test_a_plan_whose_money_payments_flags_shows_in_the_tray(jane, alice, priya):
    """The flags payments.flagging keeps (here a plan in force, whatever its rules raise on it today)."""
    plan = approved_plan(person=jane, coordinator=alice, approver=priya).plan
    raised = flagging.refresh(plan)
    section = sections(alice)["money_flags"]
    assert len(section.rows) == len(raised) == MoneyFlag.objects.filter(plan=plan).count()
    for row in section.rows:
        assert row.link == reverse("payments:money", kwargs={"plan_id": plan.pk})


def test_the_home_page_shows_the_money_to_look_at_and_the_header_counts_it(client, jane, alice):
    flag(plan_of(jane, alice), FlagCode.STATEMENT_OVERDUE, raised_on=days_ago(3))
    client.force_login(alice)
    freshness.stale_now()
    html = client.get(reverse("casework:home")).content.decode()
    assert "Needs you (1)" in html.split("</header>")[0]
    assert 'data-testid="tray-money_flags"' in html
    assert "Money to look at" in html and "A statement is overdue. Look at the money" in html
    assert "Waiting 3 days" in html


# The PHB team's repayments and stoppings to decide


def test_a_proposal_waits_for_a_decision_once_responded_to_or_the_day_to_respond_by_has_passed(jane, alice, priya, leo):
    plan = plan_of(jane, alice)
    action = proposal(plan, priya)
    assert names(sections(leo)["money_decisions"]) == []
    MoneyAction.objects.filter(pk=action.pk).update(response_on=days_ago(1), response="I agree.")
    section = sections(leo)["money_decisions"]
    assert names(section) == ["Jane Smith"] and section.total == 1
    row = section.rows[0]
    assert row.link == reverse("payments:reclaim_decide", kwargs={"pk": action.pk})
    assert row.since == days_ago(1) and row.days == 1
    assert row.says == "Repayment: The person's response is recorded. Decide whether it goes ahead."
    # Whoever proposed it may not decide it (four eyes): not in their tray.
    assert names(sections(priya)["money_decisions"]) == []


def test_with_no_response_it_waits_from_the_day_after_the_day_to_respond_by(jane, alice, priya, leo):
    plan = plan_of(jane, alice)
    action = proposal(plan, priya, kind=ActionKind.STOP, respond_by=timezone.localdate())
    assert names(sections(leo)["money_decisions"]) == []  # the person may respond today still
    tomorrow = trays.Ask(leo, timezone.now() + datetime.timedelta(days=1))
    section = next(s for s in trays.rows_for(tomorrow, trays.Tray.PHB_TEAM) if s.source.key == "money_decisions")
    assert [row.target for row in section.rows] == [str(action.pk)]
    assert section.rows[0].days == 0 and section.rows[0].waiting == "New today"
    assert section.rows[0].says.startswith("Stopping direct payments: The day to respond by has passed.")
    MoneyAction.objects.filter(pk=action.pk).update(respond_by=days_ago(4))
    row = sections(leo)["money_decisions"].rows[0]
    assert row.since == days_ago(3) and row.days == 3


def test_a_late_response_waits_from_the_day_after_the_day_to_respond_by(jane, alice, priya, leo):
    proposal(plan_of(jane, alice), priya, respond_by=days_ago(6), response_on=days_ago(1))
    assert sections(leo)["money_decisions"].rows[0].since == days_ago(5)


def test_decided_or_withdrawn_proposals_wait_for_nothing(jane, alice, priya, leo):
    plan = plan_of(jane, alice)
    withdrawn = proposal(plan, priya, respond_by=days_ago(3))
    MoneyAction.objects.filter(pk=withdrawn.pk).update(status=ActionStatus.WITHDRAWN)
    decided = proposal(plan, priya, kind=ActionKind.STOP, response_on=timezone.localdate())
    MoneyAction.objects.filter(pk=decided.pk).update(
        status=ActionStatus.AGREED, decided_by=leo, decided_at=timezone.now()
    )
    assert names(sections(leo)["money_decisions"]) == []


def test_coordinators_have_no_money_decisions_tray(jane, alice, priya):
    proposal(plan_of(jane, alice), priya, response_on=timezone.localdate())
    assert "money_decisions" not in sections(alice)


# Payment runs to confirm


def test_a_run_waits_for_a_second_person_who_handles_payments(priya, leo):
    maker = finance(priya)
    run = PaymentRun.objects.create(due_by=timezone.localdate(), created_by=maker)
    assert names(sections(leo)["runs_to_confirm"]) == []  # no finance permission
    checker = finance(leo)
    section = sections(checker)["runs_to_confirm"]
    assert names(section) == [f"Payment run {run.pk}"]
    row = section.rows[0]
    assert row.link == reverse("payments:run", kwargs={"pk": run.pk})
    assert row.says == "Made by Priya. Check the payments, then confirm or cancel the run."
    assert row.days == 0
    # Whoever made it may not confirm it.
    assert names(sections(maker)["runs_to_confirm"]) == []
    PaymentRun.objects.filter(pk=run.pk).update(
        status=RunStatus.CANCELLED, decided_by=checker, decided_at=timezone.now()
    )
    assert names(sections(checker)["runs_to_confirm"]) == []


def test_the_finance_permission_given_through_a_group_counts(priya, leo):
    PaymentRun.objects.create(due_by=timezone.localdate(), created_by=finance(priya))
    group = Group.objects.create(name="Finance")
    group.permissions.add(Permission.objects.get(content_type__app_label="payments", codename="run_payments"))
    leo.groups.add(group)
    assert len(sections(leo)["runs_to_confirm"].rows) == 1


def test_coordinators_have_no_runs_tray(alice, priya):
    PaymentRun.objects.create(due_by=timezone.localdate(), created_by=finance(priya))
    assert "runs_to_confirm" not in sections(finance(alice))


# The header's counts and the PHB team's home


@pytest.fixture
def money_work(jane, sam, alice, charlie, priya, leo):
    """Work for Leo (who handles payments): a proposal responded to, one past its day, one not yet due, and a run
    Priya made; and a flag on each coordinator's person."""
    maker, checker = finance(priya), finance(leo)
    janes, sams = plan_of(jane, alice), plan_of(sam, charlie)
    proposal(janes, maker, response_on=days_ago(2))
    proposal(sams, maker, kind=ActionKind.STOP, respond_by=days_ago(1))
    proposal(janes, maker, kind=ActionKind.STOP)
    PaymentRun.objects.create(due_by=timezone.localdate(), created_by=maker)
    flag(janes, FlagCode.SURPLUS)
    flag(sams, FlagCode.RUNS_OUT)
    return maker, checker


def test_the_counts_include_the_money_and_agree_with_those_read_with_the_user(money_work, alice, charlie):
    maker, checker = money_work
    expected = {
        alice: {"money_flags": 1},
        charlie: {"money_flags": 1},
        maker: {"money_decisions": 0, "runs_to_confirm": 0},
        checker: {"money_decisions": 2, "runs_to_confirm": 1},
    }
    for user, counted in expected.items():
        alone = trays.count(trays.Ask(user, timezone.now()))
        assert {key: alone.by_source[key] for key in counted} == counted, user
        # Read with the user: the compiled CASE a role (user_annotations), the user's id the row's.
        freshness.stale_now()
        loaded = UserWithTeamsBackend().get_user(user.pk)
        assert {key: getattr(loaded, trays.USER_COUNT + key) for key in counted} == counted, user
        assert trays.counts_for(type("Request", (), {"user": loaded})()).by_source == alone.by_source, user
    counts = trays.count(trays.Ask(checker, timezone.now()))
    assert (counts.money_decisions.value, counts.runs_to_confirm.value) == (2, 1)


def test_the_phb_team_home_shows_the_money_to_decide(client, money_work):
    maker, checker = money_work
    client.force_login(checker)
    freshness.stale_now()
    html = client.get(reverse("casework:home")).content.decode()
    assert 'data-testid="tray-money_decisions"' in html and 'data-testid="tray-runs_to_confirm"' in html
    assert "Repayments and stopping to decide <span" in html and "Payment runs to confirm <span" in html
    assert "Repayment: The person&#x27;s response is recorded." in html
    assert "Stopping direct payments: The day to respond by has passed." in html
    assert reverse("payments:runs") in html
    client.force_login(maker)
    html = client.get(reverse("casework:home")).content.decode()
    assert 'data-testid="tray-money_decisions"' not in html and 'data-testid="tray-runs_to_confirm"' not in html


def test_the_coordinators_header_counts_the_flags(client, money_work, alice):
    client.force_login(alice)
    freshness.stale_now()
    header = client.get(reverse("casework:caseload")).content.decode().split("</header>")[0]
    assert "Needs you (1)" in header
