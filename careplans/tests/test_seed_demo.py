import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from budgets.models import BudgetVersion
from careplans.models import PlanVersion
from eligibility.models import Screening
from people.models import Person, PortalAccess, User
from people.nhs_number import is_valid
from phb.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_cohorts")]


@override_settings(DEBUG=True)
def test_it_loads_demo_data_once_however_often_it_runs():
    def counts():
        return (
            Person.objects.count(),
            User.objects.count(),
            PortalAccess.objects.count(),
            Screening.objects.count(),
            BudgetVersion.objects.count(),
            PlanVersion.objects.count(),
        )

    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first[0] >= 10
    assert Screening.objects.filter(decision="awaiting").count() == 2
    assert BudgetVersion.objects.count() == 2
    assert PlanVersion.objects.get(status="draft").outcomes.count() == 2
    assert PlanVersion.objects.filter(status="submitted").count() == 1
    assert {u.role for u in User.objects.all()} == set(Role.values)


@override_settings(DEBUG=True)
def test_it_uses_only_test_range_nhs_numbers():
    call_command("seed_demo")
    assert all(p.nhs_number.startswith("999") and is_valid(p.nhs_number) for p in Person.objects.all())


@override_settings(DEBUG=False)
def test_it_refuses_to_add_known_passwords_when_debug_is_off():
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.exists()
