"""What the person sees once their budget is ending, and once it has ended."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from careplans import approval
from careplans.models import Status
from portal import selectors

pytestmark = pytest.mark.django_db

AGREED = "£7,593.57"  # what Jane's agreed plan costs a year


def end(version, alice, ended_on):
    return approval.plan_end(
        version=version,
        reason="moved_away",
        ended_on=ended_on,
        note="Moving to Cornwall.",
        unspent_to_repay=None,
        acting_user=alice,
    )


def pages(client, person):
    home = client.get(reverse("portal:person", kwargs={"pk": person.pk})).content.decode()
    plan = client.get(reverse("portal:plan", kwargs={"pk": person.pk})).content.decode()
    return home, plan


def indicative(version) -> str:
    return f"£{version.budget_version.annual_amount:,.2f}"


def test_an_ending_budget_shows_the_agreed_plan_and_budget_and_when_it_ends(client, pat, jane, janes_plan, alice):
    ends_on = timezone.localdate() + datetime.timedelta(days=30)
    assert end(janes_plan, alice, ends_on).status == Status.ENDING
    client.force_login(pat)
    home, plan = pages(client, jane)
    when = f"Your personal health budget ends on {ends_on:%-d %B %Y}"
    assert when in home and when in plan
    assert f"your plan costs {AGREED} of your {indicative(janes_plan)} budget" in home and "£145.63 a week" in home
    assert "starting figure" not in home and "It is agreed when your plan is approved" not in home
    assert "Sing in my choir again" in plan and "Taxi to choir" in plan
    assert "do not have an agreed plan" not in plan
    assert "No more reviews: your budget is ending" in home


def test_an_ended_budget_says_so_with_the_date_and_never_the_old_indicative_figure(
    client, pat, jane, janes_plan, alice
):
    ended_on = timezone.localdate() - datetime.timedelta(days=1)
    assert end(janes_plan, alice, ended_on).status == Status.ENDED
    client.force_login(pat)
    home, plan = pages(client, jane)
    when = f"Your personal health budget ended on {ended_on:%-d %B %Y}"
    assert when in home and when in plan
    assert AGREED not in home and indicative(janes_plan) not in home and "a year" not in home
    assert "starting figure" not in home and "has not been worked out yet" not in home
    # The plan that ended stays readable, marked as ended.
    assert "Sing in my choir again" in plan and "Version 1: Ended" in plan
    documents = client.get(reverse("portal:documents", kwargs={"pk": jane.pk})).content.decode()
    assert "Ending letter" in documents


def test_an_ending_budget_reads_as_ended_from_its_end_date_before_the_hourly_job_runs(
    client, pat, jane, janes_plan, alice
):
    ends_on = timezone.localdate() + datetime.timedelta(days=10)
    end(janes_plan, alice, ends_on)
    with time_machine.travel(datetime.datetime.combine(ends_on, datetime.time(9), tzinfo=datetime.UTC)):
        client.force_login(pat)
        home, plan = pages(client, jane)
    janes_plan.refresh_from_db()
    assert janes_plan.status == Status.ENDING
    assert f"Your personal health budget ended on {ends_on:%-d %B %Y}" in home
    assert AGREED not in home and indicative(janes_plan) not in home


def test_after_an_ended_budget_a_new_indicative_budget_is_shown_as_a_starting_figure(jane, janes_plan, alice):
    from budgets import services as budget_services

    end(janes_plan, alice, timezone.localdate())
    new = budget_services.budget_version_create(
        assessment=janes_plan.budget_version.assessment,
        method="costed",
        adjustment=0,
        adjustment_reason="",
        council_share_means_tested=False,
        acting_user=alice,
    )
    summary = selectors.home_summary(jane, today=timezone.localdate())
    assert (summary.annual, summary.agreed, summary.ending.past) == (new.annual_amount, False, True)


@time_machine.travel(datetime.datetime(2026, 5, 1, 9, tzinfo=datetime.UTC))
def test_the_current_plan_is_the_one_in_force_not_a_change_waiting_to_start(jane, janes_plan, alice, leo):
    from careplans import services as plan_services
    from careplans.tests.factories import details

    today = timezone.localdate()
    starts = datetime.date(2026, 6, 1)
    draft = plan_services.plan_amend(plan=janes_plan.plan, acting_user=alice)
    draft = plan_services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        care_coordinator=alice,
        **details(start_date=starts, agreed_on=today),
    )
    change = approval.plan_approve(
        version=plan_services.plan_submit(version=draft, acting_user=alice),
        financially_appropriate=True,
        clinically_appropriate=True,
        acting_user=leo,
    )
    assert change.status == Status.APPROVED
    assert selectors.current_plan(jane, today=today) == janes_plan
    # From its start date the change is the plan in force, even before the hourly job makes it active.
    assert selectors.current_plan(jane, today=starts) == change
    assert selectors.ending_of(janes_plan, today=today) is None
