"""Every action, from every status, by every role: who may do what to a plan."""

from decimal import Decimal

import pytest

from careplans.models import Status
from careplans.rules import Action, refusal

ROLES = ["coordinator", "approver", "lead", "patient", "admin", "system"]
STATUSES = [s.value for s in Status]

# (action, statuses it may start from, roles who may take it)
ALLOWED = {
    Action.SUBMIT: ({"draft"}, {"coordinator"}),
    Action.APPROVE: ({"submitted"}, {"approver", "lead"}),
    Action.RETURN: ({"submitted"}, {"approver", "lead"}),
    Action.DECLINE: ({"submitted"}, {"approver", "lead"}),
    Action.ACTIVATE: ({"approved"}, {"system", "approver", "lead"}),
    Action.END: ({"approved", "active"}, {"coordinator", "approver", "lead"}),
    Action.AMEND: ({"approved", "active"}, {"coordinator"}),
}

CASES = [(action, status, role) for action in Action for status in STATUSES for role in ROLES]


@pytest.mark.parametrize(("action", "status", "role"), CASES, ids=[f"{a}-{s}-{r}" for a, s, r in CASES])
def test_each_action_from_each_status_by_each_role(action, status, role):
    statuses, roles = ALLOWED[action]
    allowed = status in statuses and role in roles
    problem = refusal(action, status=status, role=role)
    assert (problem is None) is allowed, problem
    if not allowed:
        # The refusal says why in words a person can act on.
        assert problem.endswith(".")


@pytest.mark.parametrize("action", [Action.APPROVE, Action.RETURN, Action.DECLINE])
@pytest.mark.parametrize("role", ["approver", "lead"])
def test_nobody_decides_on_a_plan_they_wrote_or_submitted(action, role):
    assert "someone else in the PHB team" in refusal(action, status="submitted", role=role, is_author=True)


@pytest.mark.parametrize(
    ("total", "role", "allowed"),
    [
        ("100000.00", "approver", True),
        ("100000.01", "approver", False),
        ("100000.01", "lead", True),
        ("250000.00", "lead", True),
    ],
)
def test_plans_above_the_threshold_need_a_lead(total, role, allowed):
    problem = refusal(Action.APPROVE, status="submitted", role=role, annual_total=Decimal(total))
    assert (problem is None) is allowed
    if not allowed:
        assert "need a PHB team lead" in problem


def test_the_threshold_applies_to_approval_only():
    assert refusal(Action.RETURN, status="submitted", role="approver", annual_total=Decimal("500000")) is None
