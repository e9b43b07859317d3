"""The demo's PHB team can make a payment run as one member and confirm it as the other."""

import io

import pytest
from django.core.management import call_command

from payments import access
from payments.models import PaymentRun, RunStatus, ScheduleLine
from people.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_phb_team_handle_payments_and_the_demo_plans_have_schedules(settings, seeded_cohorts):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert access.may_run_payments(User.objects.get(username="priya"))
    assert access.may_run_payments(User.objects.get(username="leo"))
    assert not access.may_run_payments(User.objects.get(username="alice"))
    assert ScheduleLine.objects.exists()
    # A run confirmed by leo and one of priya's waiting for him; a second seed_demo adds none.
    assert sorted(PaymentRun.objects.values_list("status", flat=True)) == [RunStatus.CONFIRMED, RunStatus.WAITING]
    call_command("seed_demo", stdout=io.StringIO())
    assert PaymentRun.objects.count() == 2
