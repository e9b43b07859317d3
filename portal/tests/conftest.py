import pytest

from careplans import approval, services
from careplans.tests.factories import complete_plan


@pytest.fixture
def janes_plan(jane, alice, priya):
    """Jane's approved, active plan, with its approval letter kept on her record."""
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


@pytest.fixture
def rita(sam):
    """A representative (Sam's deputy) who sees only Sam."""
    from people.tests.factories import PortalAccessFactory, UserFactory
    from phb.roles import Role

    user = UserFactory(username="rita", first_name="Rita", last_name="Reed", role=Role.PATIENT)
    PortalAccessFactory(user=user, person=sam, relationship="Deputy")
    return user
