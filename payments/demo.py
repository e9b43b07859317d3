"""Demo data for payments: the PHB team's demo members handle payments, so a newcomer can make a payment run as
one (priya) and confirm it as the other (leo); a run confirmed four weeks ago and one waiting for leo show both.
Schedules need nothing here: each demo plan that became active got its own through the services."""

import datetime

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from payments import services
from payments.models import PaymentRun
from phb.errors import ServiceError

FINANCE_GROUP = "Finance"
HANDLE_PAYMENTS = ("priya", "leo")


def seed(users: dict) -> None:
    group, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="payments", codename="run_payments"))
    for username in HANDLE_PAYMENTS:
        users[username].groups.add(group)
    if PaymentRun.objects.exists():
        return
    maker, checker = (type(users[name]).objects.get(pk=users[name].pk) for name in HANDLE_PAYMENTS)
    today = timezone.localdate()
    try:
        earlier = services.run_create(due_by=today - datetime.timedelta(days=28), acting_user=maker)
        services.run_confirm(run=earlier, acting_user=checker)
        services.run_create(due_by=today, acting_user=maker)  # waiting for leo
    except ServiceError:  # nothing due: the demo's plans started too late for a run
        pass
