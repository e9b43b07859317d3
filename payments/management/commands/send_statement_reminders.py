"""Runs the statement reminder sweep by hand: the same as Celery beat does every 15 minutes."""

from django.core.management.base import BaseCommand

from payments.reminders import sweep


class Command(BaseCommand):
    help = "Claim the statement reminders due today and queue them for sending. Safe to run any number of times."

    def handle(self, *args, **options):
        result = sweep()
        self.stdout.write(f"{result.claimed} new reminders claimed, {result.queued} queued for sending.")
        if result.queue_failed:
            self.stdout.write(
                self.style.WARNING("Redis did not take the tasks. They are kept and the next sweep will queue them.")
            )
