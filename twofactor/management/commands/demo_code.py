"""Prints the demo staff's second-factor code now (make run's demo data only, with DEBUG on)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from twofactor import demo


class Command(BaseCommand):
    help = "Print the 6-digit code for the demo staff's authenticator (demo data, DEBUG=true only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code is for demo data only. Run it with DEBUG=true.")
        now, following = demo.codes_now()
        self.stdout.write(f"Code now: {now} (if that one was just used, the next: {following})")
