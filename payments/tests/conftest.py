"""Shared by the payments tests: a plan in force (its schedule written) and two PHB team members who handle
payments, one to make a run and one to confirm it."""

import pytest

from careplans.tests.factories import approved_plan
from people.tests.factories import PersonFactory
from tests.page_data import finance


@pytest.fixture
def active(north, alice, priya):
    person = PersonFactory(given_name="Jo", family_name="Money", care_team=north, lead_coordinator=alice)
    return approved_plan(person=person, coordinator=alice, approver=priya)


@pytest.fixture
def maker(priya):
    return finance(priya)


@pytest.fixture
def checker(leo):
    return finance(leo)
