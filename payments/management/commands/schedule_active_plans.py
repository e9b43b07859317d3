"""Payment schedules for plans that were in force before payments were kept here (payments.services)."""

from django.core.management.base import BaseCommand

from payments.services import schedule_active_plans


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


class Command(BaseCommand):
    help = (
        "Write the payment schedule, from today, of every plan in force that has none: the same as when a plan "
        "becomes active, without the lines due before today (paid before payments were kept here). Safe to run "
        "any number of times."
    )

    def handle(self, *args, **options):
        done = schedule_active_plans()
        self.stdout.write(
            f"{_count(done.plans, 'plan', 'plans')} given a payment schedule: "
            f"{_count(done.lines, 'payment', 'payments')} scheduled."
        )
        if done.without:
            self.stdout.write(
                f"{_count(done.without, 'plan has', 'plans have')} no money to schedule (noted on each record)."
            )
