"""A button is shown exactly when the service behind it would accept the action.

For every status × role × authorship × amount, `lifecycle.allowed_actions` (what views and templates
ask) is compared with what the real services do when asked: each allowed action succeeds, and each
other action is refused with a ServiceError, changing nothing. Every service is run in a savepoint
that is rolled back, so each case starts from the same version.
"""

import datetime

import pytest
from django.db import transaction

from careplans import approval, lifecycle, reviews, rules, services
from careplans.lifecycle import SYSTEM, Action
from careplans.models import EndingRequest, EndingStatus, PlanVersion, Status
from careplans.selectors import snapshot, version_to_end
from careplans.tests.factories import approved_change, approved_plan, complete_plan
from people.tests.factories import PersonFactory
from phb.errors import ServiceError

pytestmark = pytest.mark.django_db

STATUSES = [s.value for s in Status]
PERSONAS = ["alice", "charlie", "priya", "leo", "pat", "ada", SYSTEM]


class Rollback(Exception):
    pass


def _call(action: Action, version: PlanVersion, user):
    if action == Action.EDIT:
        return services.plan_update(
            version=version, expected_revision=version.revision, acting_user=user, helped_by="Checked"
        )
    if action == Action.SUBMIT:
        return services.plan_submit(version=version, acting_user=user)
    if action == Action.ASSIGN:
        return approval.plan_assign(version=version, acting_user=user)
    if action == Action.APPROVE:
        return approval.plan_approve(
            version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=user
        )
    if action == Action.RETURN:
        return approval.plan_return(version=version, reason="Check the taxi costs", acting_user=user)
    if action == Action.DECLINE:
        return approval.plan_decline(version=version, reason="Not clinically safe", acting_user=user)
    if action == Action.ACTIVATE:
        return approval.plan_activate(version=version, acting_user=user)
    if action == Action.END:
        return approval.plan_end(
            version=version,
            reason="consent_withdrawn",
            ended_on=version.start_date,
            note="",
            unspent_to_repay=None,
            acting_user=user,
        )
    if action == Action.FINISH:
        return approval.plan_finish(version=version, on=version.ended_on)
    if action == Action.AMEND:
        return services.plan_amend(plan=version.plan, acting_user=user)
    if action == Action.REQUEST_REVIEW:
        return reviews.review_request(plan=version.plan, reason="health_changed", acting_user=user)
    if action == Action.DECIDE_END:
        # Refusing and confirming ask the same rule; refusing leaves the version as it was.
        ending = EndingRequest.objects.get(plan_id=version.plan_id, status=EndingStatus.WAITING)
        return approval.ending_refuse(ending=ending, reason="The receipts came in", acting_user=user)
    raise AssertionError(action)


def _ending_waiting(version: PlanVersion, asker) -> None:
    """An ending of the plan for money misused, asked for by `asker` and waiting (as ending_ask leaves it)."""
    EndingRequest.objects.create(
        plan_id=version.plan_id,
        plan_version=version,
        reason="money_misused",
        ended_on=datetime.date(2030, 1, 1),
        requested_by=asker,
    )


def _accepted(action, version, user) -> bool:
    """Runs the real service and rolls it back: True if it accepted, False if it refused."""
    try:
        with transaction.atomic():
            _call(action, PlanVersion.objects.get(pk=version.pk), user)
            raise Rollback
    except Rollback:
        return True
    except ServiceError:
        return False


def _version_in(status: str, *, person, coordinator, author) -> PlanVersion:
    version = complete_plan(person=person, coordinator=coordinator)
    fields = {"status": status, "created_by": author, "updated_by": author}
    if status != Status.DRAFT:
        fields["submitted_by"] = author
    if status == Status.ENDING:
        fields["ended_on"] = datetime.date(2030, 1, 1)
    PlanVersion.objects.filter(pk=version.pk).update(**fields)
    _ending_waiting(version, author)  # asked for by the author: someone else in the PHB team decides on it
    return PlanVersion.objects.get(pk=version.pk)


@pytest.mark.parametrize("status", STATUSES)
def test_allowed_actions_agree_with_the_services(status, request, settings, north, alice):
    users = {name: (None if name == SYSTEM else request.getfixturevalue(name)) for name in PERSONAS}
    cases = 0
    for author_name in ["alice", "priya"]:
        person = PersonFactory(care_team=north, lead_coordinator=alice)
        version = _version_in(status, person=person, coordinator=alice, author=users[author_name])
        for above in (False, True):
            # The plan costs £7,593.57 a year: under the threshold, or over it when the threshold is £1.
            settings.PLAN_LEAD_APPROVAL_ABOVE = 1 if above else 100000
            for name, user in users.items():
                fresh = PlanVersion.objects.select_related("plan__person").get(pk=version.pk)
                allowed = lifecycle.allowed_actions(fresh, user)
                for action in Action:
                    if user is None and action not in {Action.ACTIVATE, Action.FINISH}:
                        continue  # the system only runs the scheduled jobs
                    if user is not None and action == Action.FINISH:
                        assert action not in allowed
                        continue  # no person finishes an ending budget; the job does on the end date
                    accepted = _accepted(action, fresh, user)
                    assert accepted is (action in allowed), (status, author_name, above, name, action)
                    cases += 1
                # The version is as it was: every service call was rolled back.
                assert PlanVersion.objects.get(pk=version.pk).status == status
    assert cases > 100


def test_the_services_ask_the_one_rule(monkeypatch, north, alice, priya):
    """Every service that moves or changes a version refuses when the lifecycle rule refuses."""
    versions = {
        status: _version_in(
            status, person=PersonFactory(care_team=north, lead_coordinator=alice), coordinator=alice, author=alice
        )
        for status in [Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.ACTIVE, Status.ENDING]
    }
    monkeypatch.setattr(lifecycle, "refusal", lambda action, facts: f"Refused {action.value}.")
    cases = [
        (Action.EDIT, Status.DRAFT, alice),
        (Action.SUBMIT, Status.DRAFT, alice),
        (Action.ASSIGN, Status.SUBMITTED, priya),
        (Action.APPROVE, Status.SUBMITTED, priya),
        (Action.RETURN, Status.SUBMITTED, priya),
        (Action.DECLINE, Status.SUBMITTED, priya),
        (Action.ACTIVATE, Status.APPROVED, priya),
        (Action.END, Status.ACTIVE, alice),
        (Action.AMEND, Status.ACTIVE, alice),
        (Action.REQUEST_REVIEW, Status.ACTIVE, priya),
        (Action.DECIDE_END, Status.ACTIVE, priya),
        (Action.FINISH, Status.ENDING, None),
    ]
    for action, status, user in cases:
        with pytest.raises(ServiceError, match=f"Refused {action.value}"):
            _call(action, versions[status], user)
    # Every way of changing a draft asks about EDIT, not just the plan's own fields.
    draft = versions[Status.DRAFT]
    outcome, item = draft.outcomes.first(), draft.items.first()
    edits = [
        lambda: services.outcome_save(
            version=draft, expected_revision=draft.revision, acting_user=alice, outcome=outcome, goal="Changed"
        ),
        lambda: services.item_save(
            version=draft,
            expected_revision=draft.revision,
            outcomes=[outcome],
            acting_user=alice,
            item=item,
            description="Changed",
            unit_cost=item.unit_cost,
            quantity=item.quantity,
            frequency=item.frequency,
            money_option=item.money_option,
        ),
        lambda: services.row_remove(row=item, expected_revision=draft.revision, acting_user=alice),
    ]
    for edit in edits:
        with pytest.raises(ServiceError, match="Refused edit"):
            edit()


LATER = datetime.date.today() + datetime.timedelta(days=40)


def _scenario(name, *, person, alice, priya):
    """A plan with several versions in the states where the rule asks about the other versions."""
    if name == "not started":
        draft = complete_plan(person=person, coordinator=alice)
        draft.outcomes.update(target_date=None)
        draft = services.plan_update(
            version=draft,
            expected_revision=draft.revision,
            acting_user=alice,
            start_date=LATER,
            first_review_date=LATER + datetime.timedelta(days=30),
        )
        version = services.plan_submit(version=draft, acting_user=alice)
        version = approval.plan_approve(
            version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
        )
        _ending_waiting(version, alice)
        return version.plan
    active = approved_plan(person=person, coordinator=alice, approver=priya)
    if name == "change waiting":
        approved_change(plan=active.plan, coordinator=alice, approver=priya, start=LATER)
    elif name == "draft under way":
        services.plan_amend(plan=active.plan, acting_user=alice)
    elif name == "ending":
        approval.plan_end(
            version=active, reason="moved_away", ended_on=LATER, note="", unspent_to_repay=None, acting_user=alice
        )
    _ending_waiting(active, alice)
    return active.plan


@pytest.mark.parametrize("scenario", ["change waiting", "draft under way", "ending", "not started"])
def test_allowed_actions_agree_with_the_services_across_the_versions_of_a_plan(scenario, request, north, alice, priya):
    users = {name: request.getfixturevalue(name) for name in PERSONAS if name != SYSTEM}
    person = PersonFactory(care_team=north, lead_coordinator=alice)
    plan = _scenario(scenario, person=person, alice=alice, priya=priya)
    cases = 0
    for version in plan.versions.all():
        for name, user in users.items():
            fresh = PlanVersion.objects.select_related("plan__person").get(pk=version.pk)
            allowed = lifecycle.allowed_actions(fresh, user)
            in_force = PlanVersion.objects.in_force_for(plan, on=datetime.date.today())
            for action in Action:
                if action == Action.FINISH:
                    continue  # the system's job only
                expected = action in allowed
                if action == Action.SUBMIT:
                    # The page offers "Submit" once nothing is missing; the service says what is.
                    expected = expected and not rules.missing(snapshot(fresh))
                if action == Action.REQUEST_REVIEW:
                    # Asked for on the plan; the page offers it on the version in force.
                    expected = in_force is not None and action in lifecycle.allowed_actions(in_force, user)
                if action == Action.DECIDE_END:
                    # An ending ends the plan's running (or else newest agreed) version; offered on that one.
                    ended = version_to_end(plan.versions.all())
                    expected = ended is not None and action in lifecycle.allowed_actions(ended, user)
                accepted = _accepted(action, fresh, user)
                assert accepted is expected, (scenario, version.number, version.status, name, action)
                cases += 1
    assert cases >= 6 * 9 * plan.versions.count()
