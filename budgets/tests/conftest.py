import pytest

from budgets.tests.factories import add_service, make_assessment, make_eligible, make_tariff


@pytest.fixture
def tariff(leo):
    return make_tariff(lead=leo)


@pytest.fixture
def eligible_jane(jane, alice):
    make_eligible(person=jane, coordinator=alice)
    return jane


@pytest.fixture
def assessment(eligible_jane, alice):
    return make_assessment(person=eligible_jane, coordinator=alice)


@pytest.fixture
def with_services(assessment, alice):
    """Three services: £20 x 10 hours a week spot, a block-contract day centre, council home care."""
    add_service(assessment=assessment, coordinator=alice)
    add_service(
        assessment=assessment, coordinator=alice, name="Day centre", funding="nhs_block", unit_cost="50.00", units="2"
    )
    add_service(
        assessment=assessment,
        coordinator=alice,
        name="Council home care",
        funding="council",
        unit_cost="18.00",
        units="5",
    )
    return assessment
