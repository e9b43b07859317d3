"""Removes audit events older than AUDIT_RETENTION_YEARS; only a PHB team lead can, and it is audited.

    manage.py purge_audit --as leo@example.nhs.uk [--dry-run]

Run it as the database's owner role (the DATABASE_URL that runs migrate): the application role has no
right to remove audit events at all, and the database lets the owner remove only events older than the
cut-off this command names (phb.audit.purge, migration 0006_audit_refuses_truncate).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.words import date_and_time


class Command(BaseCommand):
    help = "Removes audit events past the retention period (AUDIT_RETENTION_YEARS). Only a PHB team lead can."

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="acting", required=True, help="the PHB team lead's email or username")
        parser.add_argument("--dry-run", action="store_true", help="say how many would go, and remove nothing")

    def handle(self, *args, acting, dry_run, **options):
        lead = self._user(acting)
        refusal = audit.purge_refusal(lead)
        if refusal:
            audit.record(
                actor=lead,
                action=AuditAction.ACCESS_REFUSED,
                summary="Tried to remove old audit events: only a PHB team lead can",
            )
            raise CommandError(refusal)
        cut_off = timezone.localtime(audit.retention_cut_off())
        if dry_run:
            count = audit.purge_count()
            self.stdout.write(f"{count:,} audit events are from before {date_and_time(cut_off)} and would be removed.")
            return
        try:
            event = audit.purge(acting_user=lead)
        except ServiceError as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:
            raise CommandError(
                "The database refused to remove audit events. Run this with the owner's DATABASE_URL "
                f"(the one that runs migrate), not the application's. ({error.__class__.__name__})"
            ) from error
        self.stdout.write(event.summary)

    def _user(self, acting: str):
        matches = list(
            get_user_model().objects.filter(Q(username__iexact=acting) | Q(email__iexact=acting)).order_by("pk")[:2]
        )
        if len(matches) != 1:
            raise CommandError(
                f"No one can be found as {acting!r}." if not matches else f"More than one account matches {acting!r}."
            )
        return matches[0]
