"""manage.py seed_scale: a national-scale, reproducible, fictional data set for benchmarks."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from people.models import Person, User
from scale import seed as generator
from scale.staff import PERSONAS

HELP = """Load a large, reproducible, fictional data set for benchmarks (NHS numbers from the 999 test range).

Writes PEOPLE people with their screenings, assessments, budgets, plans in every state, reviews (about five
a person), review reminders, letters, online access and messages, and the audit trail, with PostgreSQL COPY
in batches; every trigger and constraint stays on. At 200,000 people: 40 care teams, 400 coordinators.

Dates are counted back (and forward) from the anchor day, today unless --anchor is given: the same --seed
and --anchor on an empty migrated database give the same data, ids included.

Refuses when DEBUG is off and the database already has people, unless --force. Bench users (password
--password): bench-coordinator-60, bench-coordinator-600, bench-phb-team, bench-lead, bench-patient; the
four staff among them have an authenticator app with the bench-only key scale.staff.BENCH_TOTP_KEY.
Each batch of people commits on its own: if a run stops, drop the database and start again. At 200,000
people it writes about 19 million rows (6.9 GB): 12.5 minutes on a shared two-core machine, about 13 minutes
of CPU in all (Python and PostgreSQL), so nearer 7 minutes when nothing else runs.

  createdb -h 127.0.0.1 -U postgres phb_scale
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/phb_scale manage.py migrate
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/phb_scale manage.py seed_scale --people 200000
"""

DEFAULT_PASSWORD = "bench-only-password-1"
MOST_PEOPLE = 800_000  # the 999 test range has about 890,000 numbers past the ones demo data uses


class Command(BaseCommand):
    help = HELP

    def create_parser(self, *args, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(*args, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, required=True, help="How many people (100 or more).")
        parser.add_argument("--seed", type=int, default=1, help="The random seed (0 or more; default 1).")
        parser.add_argument(
            "--anchor",
            type=datetime.date.fromisoformat,
            help="The day the data set treats as today, YYYY-MM-DD (default: today).",
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Every generated user's password (default {DEFAULT_PASSWORD!r}).",
        )
        parser.add_argument(
            "--unswept-days",
            type=int,
            default=0,
            help="Leave out the review reminders whose window opened in the last N days, as if the reminder "
            "sweep had not run for that long (a backlog for the first sweep; default 0).",
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="People per transaction (default 5000).")
        parser.add_argument(
            "--force", action="store_true", help="Add to a database that already has people even though DEBUG is off."
        )

    def handle(self, *args, people, seed, anchor, password, unswept_days, batch_size, force, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale writes with PostgreSQL COPY. Set DATABASE_URL to a PostgreSQL database.")
        if not 100 <= people <= MOST_PEOPLE:
            raise CommandError(f"--people must be between 100 and {MOST_PEOPLE:,}.")
        if seed < 0 or unswept_days < 0 or batch_size < 1:
            raise CommandError("--seed and --unswept-days must be 0 or more, and --batch-size 1 or more.")
        if not settings.DEBUG and not force and Person.objects.exists():
            raise CommandError(
                "This database already has people and DEBUG is off: it may be a live service. seed_scale adds "
                "users with a known password. Use an empty database, or add --force if this one is a copy for tests."
            )
        existing = sorted(User.objects.filter(username__in=PERSONAS).values_list("username", flat=True))
        if existing:
            raise CommandError(
                f"The bench users already exist ({', '.join(existing)}): this database was seeded before. "
                "Start from an empty database."
            )
        report = generator.run(
            people=people,
            seed=seed,
            anchor=anchor or timezone.localdate(),
            password=password,
            unswept_days=unswept_days,
            batch_size=batch_size,
            stream=self.stderr._out,
        )
        self.stdout.write(f"Wrote {report.people:,} people in {report.seconds:.0f} s:")
        for table, count in sorted(report.rows.items()):
            self.stdout.write(f"  {table:<34} {count:>12,}")
        self.stdout.write(f"Bench users (password {password!r}): {', '.join(PERSONAS)}")
