"""Removes form tokens past ONCE_KEEP_DAYS by hand: the same as Celery beat does every hour."""

from django.core.management.base import BaseCommand

from phb.once import purge_sent_forms


class Command(BaseCommand):
    help = "Remove the one-time tokens of forms sent more than ONCE_KEEP_DAYS ago. Safe to run any number of times."

    def handle(self, *args, **options):
        removed = purge_sent_forms()
        self.stdout.write(f"{removed:,} form tokens removed." if removed != 1 else "1 form token removed.")
