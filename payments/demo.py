"""Demo data for payments: the PHB team's demo members handle payments, so a newcomer can make a payment run as
one (priya) and confirm it as the other (leo). Schedules need nothing here: each demo plan that became active got
its own through the services."""

from django.contrib.auth.models import Group, Permission

FINANCE_GROUP = "Finance"
HANDLE_PAYMENTS = ("priya", "leo")


def seed(users: dict) -> None:
    group, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="payments", codename="run_payments"))
    for username in HANDLE_PAYMENTS:
        users[username].groups.add(group)
