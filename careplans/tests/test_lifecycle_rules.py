"""The lifecycle rule as a table: every action, from every status, by every role."""

from decimal import Decimal

import pytest

from careplans.lifecycle import FROM_STATUSES, ROLES, SYSTEM, Action, Facts, needs_second_person, refusal
from careplans.models import EndReason, Status
from phb.roles import Role

ALL_ROLES = [*Role.values, SYSTEM]
STATUSES = [s.value for s in Status]

# (action, statuses it may start from, roles who may take it), written out again on purpose: the test
# states the policy in its own words, so a change to lifecycle.py must be made here too.
ALLOWED = {
    Action.EDIT: ({"draft"}, {"coordinator"}),
    Action.SUBMIT: ({"draft"}, {"coordinator"}),
    Action.ASSIGN: ({"submitted"}, {"approver", "lead"}),
    Action.APPROVE: ({"submitted"}, {"approver", "lead"}),
    Action.RETURN: ({"submitted"}, {"approver", "lead"}),
    Action.DECLINE: ({"submitted"}, {"approver", "lead"}),
    Action.ACTIVATE: ({"approved"}, {"system", "approver", "lead"}),
    Action.END: ({"approved", "active", "ending"}, {"coordinator", "approver", "lead"}),
    Action.FINISH: ({"ending"}, {"system"}),
    Action.AMEND: ({"approved", "active"}, {"coordinator"}),
    Action.REQUEST_REVIEW: ({"approved", "active"}, {"coordinator", "approver", "lead"}),
    Action.DECIDE_END: ({"approved", "active", "ending"}, {"approver", "lead"}),
}

CASES = [(action, status, role) for action in Action for status in STATUSES for role in ALL_ROLES]


def facts(status, role, **overrides):
    # An ending someone else asked for waits (DECIDE_END has something to decide; no other action cares).
    values = {"status": status, "role": role, "in_team": True, "in_force": True, "ending_waiting": True}
    values.update(overrides)
    return Facts(**values)


def test_the_table_in_this_test_covers_every_action():
    assert set(ALLOWED) == set(Action) == set(FROM_STATUSES) == set(ROLES)


@pytest.mark.parametrize(("action", "status", "role"), CASES, ids=[f"{a}-{s}-{r}" for a, s, r in CASES])
def test_each_action_from_each_status_by_each_role(action, status, role):
    statuses, roles = ALLOWED[action]
    allowed = status in statuses and role in roles
    problem = refusal(action, facts(status, role))
    assert (problem is None) is allowed, problem
    if not allowed:
        # The refusal says why in words a person can act on.
        assert problem.endswith(".")


@pytest.mark.parametrize(
    ("action", "status"), [(a, sorted(ALLOWED[a][0])[0]) for a in ALLOWED if "coordinator" in ALLOWED[a][1]]
)
def test_a_coordinator_acts_only_for_people_in_their_care_teams(action, status):
    assert refusal(action, facts(status, Role.COORDINATOR)) is None
    assert "care team" in refusal(action, facts(status, Role.COORDINATOR, in_team=False))


def test_the_care_team_does_not_limit_the_phb_team():
    assert refusal(Action.END, facts("active", Role.APPROVER, in_team=False)) is None


@pytest.mark.parametrize("action", [Action.ASSIGN, Action.APPROVE, Action.RETURN, Action.DECLINE])
@pytest.mark.parametrize("role", [Role.APPROVER, Role.LEAD])
def test_nobody_decides_on_a_plan_they_wrote_or_submitted(action, role):
    assert "someone else in the PHB team" in refusal(action, facts("submitted", role, is_author=True))


@pytest.mark.parametrize(
    ("total", "role", "allowed"),
    [
        ("100000.00", Role.APPROVER, True),
        ("100000.01", Role.APPROVER, False),
        ("100000.01", Role.LEAD, True),
        ("250000.00", Role.LEAD, True),
    ],
)
def test_plans_above_the_threshold_need_a_lead(total, role, allowed):
    problem = refusal(
        Action.APPROVE, facts("submitted", role, annual_total=Decimal(total), lead_above=Decimal("100000.00"))
    )
    assert (problem is None) is allowed
    if not allowed:
        assert "need a PHB team lead" in problem


def test_the_threshold_applies_to_approval_only():
    assert refusal(Action.RETURN, facts("submitted", Role.APPROVER, annual_total=Decimal("5e5"), lead_above=1)) is None


def test_a_plan_with_a_version_under_way_cannot_be_changed_again():
    problem = refusal(Action.AMEND, facts("active", Role.COORDINATOR, has_open_version=True))
    assert "already has a new version" in problem


def test_only_the_version_in_force_is_ended_when_another_is_running():
    # Version 2 approved to start later, version 1 active: ending goes through version 1.
    problem = refusal(Action.END, facts("approved", Role.COORDINATOR, other_running=1))
    assert problem == "Version 1 is still active. End the budget from version 1."


def test_a_review_is_asked_for_on_the_version_in_force_only():
    assert "not the one in force today" in refusal(
        Action.REQUEST_REVIEW, facts("approved", Role.APPROVER, in_force=False)
    )


@pytest.mark.parametrize(
    ("action", "status", "role"),
    [
        (Action.SUBMIT, "draft", Role.COORDINATOR),
        (Action.APPROVE, "submitted", Role.LEAD),
        (Action.ACTIVATE, "approved", SYSTEM),
        (Action.AMEND, "active", Role.COORDINATOR),
    ],
)
@pytest.mark.parametrize(("finishing", "words"), [("ending", "is ending"), ("ended", "has ended")])
def test_nothing_new_is_agreed_once_the_budget_is_ending_or_has_ended(action, status, role, finishing, words):
    assert refusal(action, facts(status, role, finishing=finishing)) == (
        f"This personal health budget {words}, so nothing new can be agreed for it."
    )


def test_an_ending_budget_can_still_be_ended_sooner():
    assert refusal(Action.END, facts("ending", Role.COORDINATOR, finishing="ending")) is None


def test_only_money_misused_and_no_longer_eligible_need_a_second_person():
    assert {reason for reason in EndReason.values if needs_second_person(reason)} == {"money_misused", "not_eligible"}


@pytest.mark.parametrize("role", [Role.APPROVER, Role.LEAD])
def test_nobody_confirms_or_refuses_an_ending_they_asked_for(role):
    problem = refusal(Action.DECIDE_END, facts("active", role, asked_for_ending=True))
    assert problem == "You asked for this ending, so someone else in the PHB team must confirm or refuse it."
    assert refusal(Action.DECIDE_END, facts("active", role)) is None


def test_a_coordinator_cannot_confirm_an_ending():
    problem = refusal(Action.DECIDE_END, facts("active", Role.COORDINATOR))
    assert problem == "Your role cannot confirm or refuse the ending of a plan."


def test_there_is_nothing_to_confirm_without_an_ending_waiting():
    problem = refusal(Action.DECIDE_END, facts("active", Role.APPROVER, ending_waiting=False))
    assert problem == "No ending of this plan is waiting for confirmation."


def test_an_ending_waiting_does_not_stop_ending_for_another_reason():
    assert refusal(Action.END, facts("active", Role.COORDINATOR, ending_waiting=True)) is None
