"""The money flags kept for the lists (payments.flagging): the rows say what payments.balance.flags says on the
day, keep the day each was first raised, write nothing on a day nothing changed, go when a plan's money is no
longer in use, and are kept right by the services that move money. Then where staff see them: the caseload (a tag
under the stage and a filter), the person page (the summary card, with a link to the money page) and the daily
task.

The schedule is test_selectors.py's (£560.00 every 4 weeks from 1 April 2026; its periods end on 28 April,
26 May and 23 June), with one statement, for 1 April only. On 30 June: £2,240.00 paid in and £40.00 spent on
something not in the plan, so the account holds more than 8 weeks of payments (£1,120.00), the spend not in the
plan is flagged, and the statement for the period ending 26 May is overdue (due by 9 June)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careplans.models import Status
from payments import flagging, statement_services, tasks
from payments.balance import FlagCode
from payments.models import MoneyFlag, ScheduleLine
from payments.tests.test_selectors import ON, SPEND, money_moved, statement, with_schedule
from people.tests.factories import PersonFactory

RAISED = {FlagCode.SURPLUS, FlagCode.NOT_IN_PLAN, FlagCode.STATEMENT_OVERDUE}
DAY = datetime.timedelta(days=1)


@pytest.fixture
def flagged_plan(active, alice):
    version = with_schedule(active)
    money_moved(version.plan, alice, ("2026-06-01", "40.00", SPEND, None, True))
    MoneyFlag.objects.all().delete()  # those the approval raised for today's schedule
    return version.plan


def kept(plan) -> dict:
    return {row.code: row for row in MoneyFlag.objects.filter(plan=plan)}


def test_refresh_keeps_the_flags_the_rule_raises_with_the_day_and_the_period_overdue(flagged_plan):
    assert set(flagging.refresh(flagged_plan, on=ON)) == RAISED
    rows = kept(flagged_plan)
    assert set(rows) == RAISED
    assert {row.raised_on for row in rows.values()} == {ON}
    assert {row.person_id for row in rows.values()} == {flagged_plan.person_id}
    assert rows[FlagCode.STATEMENT_OVERDUE].period_end == datetime.date(2026, 5, 26)
    assert rows[FlagCode.SURPLUS].period_end is None
    assert rows[FlagCode.NOT_IN_PLAN].sentence == "£40.00 was spent on things not in the plan (1 payment)."


def test_a_flag_still_raised_keeps_the_day_it_was_first_raised_and_takes_the_new_sentence(flagged_plan, alice):
    flagging.refresh(flagged_plan, on=ON)
    money_moved(flagged_plan, alice, ("2026-06-02", "10.00", SPEND, None, True))
    flagging.refresh(flagged_plan, on=ON + DAY)
    row = kept(flagged_plan)[FlagCode.NOT_IN_PLAN]
    assert row.raised_on == ON
    assert row.sentence == "£50.00 was spent on things not in the plan (2 payments)."


def test_a_flag_that_clears_is_removed_and_raised_again_on_the_day_it_comes_back(flagged_plan, alice):
    flagging.refresh(flagged_plan, on=ON)
    covering = statement(flagged_plan, alice, "2026-04-29", "2026-05-26", "2026-06-29")
    flagging.refresh(flagged_plan, on=ON)
    assert FlagCode.STATEMENT_OVERDUE not in kept(flagged_plan)
    covering.delete()
    flagging.refresh(flagged_plan, on=ON + DAY)
    assert kept(flagged_plan)[FlagCode.STATEMENT_OVERDUE].raised_on == ON + DAY


def test_a_newer_period_overdue_moves_the_period_on_and_keeps_the_day(flagged_plan):
    flagging.refresh(flagged_plan, on=ON)
    later = datetime.date(2026, 7, 8)  # the period ending 23 June is now more than 14 days behind
    flagging.refresh(flagged_plan, on=later)
    row = kept(flagged_plan)[FlagCode.STATEMENT_OVERDUE]
    assert (row.period_end, row.raised_on) == (datetime.date(2026, 6, 23), ON)


def test_a_day_on_which_nothing_changed_writes_nothing(flagged_plan):
    flagging.refresh(flagged_plan, on=ON)
    with CaptureQueriesContext(connection) as queries:
        flagging.refresh(flagged_plan, on=ON)
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


def test_a_plan_with_no_schedule_has_no_flags_and_loses_any_it_had(flagged_plan):
    flagging.refresh(flagged_plan, on=ON)
    ScheduleLine.objects.filter(plan=flagged_plan).delete()
    assert flagging.refresh(flagged_plan, on=ON) == ()
    assert kept(flagged_plan) == {}


def test_a_budget_ended_today_loses_its_flags_at_once_without_waiting_for_the_daily_refresh(active, alice):
    from django.utils import timezone

    from careplans import approval

    version = with_schedule(active)
    money_moved(version.plan, alice, ("2026-06-01", "40.00", SPEND, None, True))
    assert kept(version.plan)  # raised by the spend's own service, for today
    approval.plan_end(
        version=version,
        reason="consent_withdrawn",
        ended_on=timezone.localdate(),
        note="",
        unspent_to_repay=None,
        acting_user=alice,
    )
    assert not kept(version.plan)


def test_refresh_all_works_out_every_plan_in_use_and_clears_those_no_longer_in_use(flagged_plan):
    assert flagging.refresh_all(on=ON) == flagging.Refreshed(plans=1, raised=3, cleared=0)
    assert flagging.refresh_all(on=ON) == flagging.Refreshed(plans=1, raised=0, cleared=0)
    ScheduleLine.objects.filter(plan=flagged_plan).delete()  # no schedule: its money is not in use
    assert flagging.refresh_all(on=ON) == flagging.Refreshed(plans=0, raised=0, cleared=3)
    assert kept(flagged_plan) == {}


def test_refresh_all_reads_plans_in_batches(flagged_plan, monkeypatch):
    monkeypatch.setattr(flagging, "BATCH", 1)
    assert flagging.refresh_all(on=ON).plans == 1


def test_the_daily_task_refreshes_for_today(flagged_plan):
    done = tasks.refresh_flags.run()
    assert done["plans"] == 1 and done["raised"] == len(kept(flagged_plan)) > 0


def test_marking_spend_as_not_in_the_plan_raises_its_flag_at_once(active, alice):
    version = with_schedule(active)
    (spent,) = money_moved(version.plan, alice, ("2026-06-01", "25.00", SPEND, None))
    MoneyFlag.objects.all().delete()
    flagging.refresh(version.plan)
    assert FlagCode.NOT_IN_PLAN not in kept(version.plan)
    statement_services.match(transaction=spent, item_key=None, not_in_plan=True, acting_user=alice)
    assert FlagCode.NOT_IN_PLAN in kept(version.plan)


def test_a_plan_that_becomes_active_has_its_flags_worked_out(active):
    assert active.status == Status.ACTIVE
    # The schedule written on approval is for today: its flags are kept (whatever they are) as the rule says.
    from payments.selectors import money_of

    today = datetime.date.today()
    assert set(kept(active.plan)) == {flag.code for flag in money_of(active.plan, today).flags}


# Where staff see them -------------------------------------------------------------------------------------------


def test_the_caseload_shows_each_flag_under_the_stage_and_filters_by_money(client, alice, flagged_plan, north):
    PersonFactory(given_name="Nora", family_name="Noflags", care_team=north, lead_coordinator=alice)
    flagging.refresh(flagged_plan)
    client.force_login(alice)
    page = client.get(reverse("casework:caseload")).content.decode()
    assert page.count('data-testid="money-flag"') == len(kept(flagged_plan))
    assert "Spending not in the plan" in page
    only = client.get(reverse("casework:caseload"), {"money": "any"}).content.decode()
    assert "MONEY, Jo" in only and "NOFLAGS" not in only
    by_code = client.get(reverse("casework:caseload"), {"money": FlagCode.NOT_IN_PLAN.value}).content.decode()
    assert "MONEY, Jo" in by_code
    none = client.get(reverse("casework:caseload"), {"money": FlagCode.RUNS_OUT.value}).content.decode()
    assert "MONEY, Jo" not in none and "No one found" in none


def test_the_person_page_lists_the_flags_with_their_sentences_and_links_to_the_money(client, alice, flagged_plan):
    flagging.refresh(flagged_plan)
    client.force_login(alice)
    page = client.get(reverse("people:detail", kwargs={"pk": flagged_plan.person_id})).content.decode()
    assert 'data-testid="summary-flags"' in page
    for row in kept(flagged_plan).values():
        assert row.get_code_display() in page
    assert "£40.00 was spent on things not in the plan (1 payment)." in page
    assert reverse("payments:money", kwargs={"plan_id": flagged_plan.pk}) in page


def test_the_person_page_says_nothing_of_money_without_a_flag(client, alice, active):
    MoneyFlag.objects.all().delete()
    client.force_login(alice)
    page = client.get(reverse("people:detail", kwargs={"pk": active.plan.person_id})).content.decode()
    assert 'data-testid="summary-flags"' not in page and "Money to look at" not in page
