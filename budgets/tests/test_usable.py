"""One rule for "this budget can be used": the function and the queryset agree in every case."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets import services
from budgets.models import BudgetVersion, SignOff
from budgets.selectors import (
    budget_unusable_reason,
    is_latest_budget,
    latest_budgets,
    usable_budgets,
)
from budgets.tests.factories import add_service, make_assessment, make_eligible
from eligibility import services as eligibility_services

pytestmark = pytest.mark.django_db


def calculate(assessment, user):
    return services.budget_version_create(
        assessment=assessment,
        method="costed",
        adjustment=Decimal("0"),
        adjustment_reason="",
        council_share_means_tested=False,
        acting_user=user,
    )


def set_sign_off(version, status, by):
    # The service only moves AWAITING on; the rule must hold for every state whatever the route to it.
    decided = status not in SignOff.UNDECIDED
    BudgetVersion.objects.filter(pk=version.pk).update(
        sign_off=status, signed_off_by=by if decided else None, signed_off_at=timezone.now() if decided else None
    )
    version.refresh_from_db()


def make_not_eligible(person, coordinator):
    eligibility_services.screening_create(
        person=person,
        screened_on=datetime.date(2026, 2, 1),
        funding="none",
        hospital_inpatient=False,
        section_117="section_2_only",
        wheelchair=False,
        commissioned_package=False,
        acting_user=coordinator,
    )


@pytest.mark.parametrize(
    ("sign_off", "latest", "eligible"), list(itertools.product(list(SignOff), [True, False], [True, False]))
)
def test_the_reason_and_the_queryset_agree(alice, priya, with_services, sign_off, latest, eligible):
    person = with_services.person
    version = calculate(with_services, alice)
    set_sign_off(version, sign_off, priya)
    if not latest:
        calculate(with_services, alice)
    if not eligible:
        make_not_eligible(person, alice)

    reason = budget_unusable_reason(version)
    in_queryset = usable_budgets(person=person).filter(pk=version.pk).exists()

    assert (reason is None) is in_queryset is (sign_off in SignOff.USABLE and latest and eligible)
    # The first thing wrong is the one staff are told.
    if not latest or sign_off == SignOff.SUPERSEDED:
        assert reason.startswith("A newer budget has been worked out")
    elif sign_off == SignOff.AWAITING:
        assert reason.startswith("The PHB team must sign off this budget")
    elif sign_off == SignOff.RETURNED:
        assert reason.startswith("The PHB team returned this budget")
    elif not eligible:
        assert reason.startswith("This person is not eligible")


def test_only_the_latest_version_is_usable_and_an_older_one_never_comes_back(alice, with_services):
    first, second = calculate(with_services, alice), calculate(with_services, alice)
    assert list(usable_budgets(person=with_services.person)) == [second]
    assert (is_latest_budget(first), is_latest_budget(second)) == (False, True)
    assert usable_budgets(person=with_services.person).first() == second


def test_a_newer_version_waiting_for_sign_off_leaves_nothing_usable(alice, with_services):
    calculate(with_services, alice)
    services.budget_version_create(
        assessment=with_services,
        method="costed",
        adjustment=Decimal("5000"),
        adjustment_reason="Night support",
        council_share_means_tested=False,
        acting_user=alice,
    )
    assert list(usable_budgets(person=with_services.person)) == []
    assert usable_budgets(person=with_services.person).first() is None


def test_latest_budgets_keeps_one_version_per_person(alice, north, with_services):
    from people.tests.factories import PersonFactory

    calculate(with_services, alice)
    newest_jane = calculate(with_services, alice)
    other = PersonFactory(care_team=north, date_of_birth=datetime.date(1950, 5, 5))
    make_eligible(person=other, coordinator=alice)
    other_assessment = make_assessment(person=other, coordinator=alice)
    add_service(assessment=other_assessment, coordinator=alice)
    only_other = calculate(other_assessment, alice)
    assert set(latest_budgets()) == {newest_jane, only_other}


def test_usable_budgets_uses_the_same_queries_for_2_and_10_versions(alice, with_services, django_assert_num_queries):
    person = with_services.person
    for _ in range(2):
        calculate(with_services, alice)
    with django_assert_num_queries(2):
        assert len(list(usable_budgets(person=person))) == 1
    for _ in range(8):
        calculate(with_services, alice)
    with django_assert_num_queries(2):
        assert len(list(usable_budgets(person=person))) == 1


def test_usable_budgets_is_one_query_for_someone_not_eligible(alice, with_services, django_assert_num_queries):
    calculate(with_services, alice)
    make_not_eligible(with_services.person, alice)
    with django_assert_num_queries(1):
        assert list(usable_budgets(person=with_services.person)) == []
