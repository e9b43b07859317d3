"""Loads fictional demo data for every step of the journey. Safe to run again: nothing is duplicated.

The command lives in portal, the last step of the service, because it is the one app allowed to read
every earlier one (online access and messages are the portal's); each app keeps its own demo data in its
demo.py, and who is where in the journey is told there by each person's serial.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from budgets import demo as budgets_demo
from careplans import demo as careplans_demo
from eligibility import demo as eligibility_demo
from payments import demo as payments_demo
from people import demo as people_demo
from people.models import Person
from portal import demo as portal_demo
from twofactor import demo as twofactor_demo


class Command(BaseCommand):
    help = "Load fictional demo data for every step (NHS numbers from the 999 test range). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production", action="store_true", help="Seed even though DEBUG is off (never on live data)."
        )

    @transaction.atomic
    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("seed_demo adds demo accounts with a known password. Run it with DEBUG=true only.")
        users = people_demo.seed()
        twofactor_demo.seed(users)
        eligibility_demo.seed(users)
        budgets_demo.seed(users)
        careplans_demo.seed(users)
        careplans_demo.seed_stories(users)
        online = portal_demo.seed(users)
        payments_demo.seed({**users, **online})  # after the portal's: Eileen's son sends her statement online
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {Person.objects.count()} people."))
        for line in people_demo.sign_in_lines() + portal_demo.sign_in_lines() + twofactor_demo.sign_in_lines():
            self.stdout.write(line)
