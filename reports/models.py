"""What reports keeps: the NHS England returns a lead marked submitted, with their figures frozen as sent."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class SubmittedReturn(models.Model):
    """A quarter's return as it was submitted to NHS England. The figures are kept as they were, so a later
    correction to the records shows on the return's page as a difference, not as a silent change."""

    quarter = models.CharField(max_length=10, unique=True)  # reports.quarters.Quarter.code, "2026-27-q2"
    # {"rows": {category: [cells...]}, "total": [cells...]}: each row's cells in the return's column order.
    figures = models.JSONField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-quarter"]

    def __str__(self):
        return f"Return for {self.quarter}, submitted"
