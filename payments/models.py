"""Money in use: each plan's payment schedule, and the payment runs that pay it.

A schedule line is worked out by payments.rules (pure) when a plan version becomes active (payments.services):
what is paid into the holder's account, or committed to a provider, for which days and when. A line is paid by
exactly one confirmed payment run: the database refuses a paid line without its run, and a trigger refuses any
change to a line once paid (payments/triggers.py), so two runs confirmed at the same moment cannot both pay it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from careplans.rules import MONEY_OPTION_LABELS
from payments.rules import LINE_KIND_LABELS, LINE_STATUS_LABELS, LineKind, LineStatus
from phb.money import MAX_AMOUNT

LINE_KIND_CHOICES = [(kind.value, LINE_KIND_LABELS[kind]) for kind in LineKind]
LINE_STATUS_CHOICES = [(status.value, LINE_STATUS_LABELS[status]) for status in LineStatus]
MONEY_OPTION_CHOICES = [(option.value, label) for option, label in MONEY_OPTION_LABELS.items()]


class RunStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for a second person to confirm"
    CONFIRMED = "confirmed", "Confirmed and paid"
    CANCELLED = "cancelled", "Cancelled"


class PaymentRun(models.Model):
    """Everything due on or before a day and not yet paid, gathered by one member of the PHB team who handles
    payments and confirmed by another (four eyes). Confirming pays its lines and makes the ledger's CSV.
    The id is the run's number, as finance reads it ("payment run 12")."""

    due_by = models.DateField("Pay everything due on or before")
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.WAITING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # What confirming paid (lines another run paid first are left out): set once, when confirmed.
    paid_count = models.PositiveIntegerField(null=True, blank=True)
    paid_total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    lines = models.ManyToManyField("ScheduleLine", through="RunLine", related_name="runs")

    class Meta:
        ordering = ["-created_at", "-id"]
        # The finance permission: given to members of the PHB team who handle payments (payments.access).
        permissions = [("run_payments", "Can make and confirm payment runs")]
        constraints = [
            # Four eyes: whoever confirms or cancels a run is not who made it.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("created_by")),
                name="payment_run_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status="waiting", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(status="waiting") & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="payment_run_decided_by_someone",
            ),
            models.CheckConstraint(
                condition=Q(status="confirmed", paid_count__isnull=False, paid_total__isnull=False)
                | (~Q(status="confirmed") & Q(paid_count__isnull=True, paid_total__isnull=True)),
                name="payment_run_paid_when_confirmed",
            ),
        ]

    def __str__(self):
        return f"Payment run {self.pk}"


class ScheduleLine(models.Model):
    """One payment into a holder's account, or one commitment to a provider, for a period (payments.rules.Line)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.PROTECT, related_name="payment_lines")
    # The version whose money the line pays (a change that starts replaces the unpaid lines from its start).
    plan_version = models.ForeignKey("careplans.PlanVersion", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=LINE_KIND_CHOICES)
    money_option = models.CharField(max_length=20, choices=MONEY_OPTION_CHOICES)
    item_key = models.UUIDField(null=True, blank=True)  # the plan item's key, for a provider item or a one-off
    payee = models.CharField(max_length=200, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    due_on = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=LINE_STATUS_CHOICES, default=LineStatus.SCHEDULED)
    hold_reason = models.CharField(max_length=300, blank=True)
    paid_in = models.ForeignKey(PaymentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="paid_lines")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period_start", "kind", "money_option", "payee"]
        constraints = [
            # Paid exactly when a run paid it.
            models.CheckConstraint(
                condition=Q(status="paid", paid_in__isnull=False) | (~Q(status="paid") & Q(paid_in__isnull=True)),
                name="schedule_line_paid_by_a_run",
            ),
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="schedule_line_period"),
            # Only money to be paid back is negative.
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(kind=LineKind.RECOVERY.value), name="schedule_line_amount_sign"
            ),
            models.CheckConstraint(
                condition=Q(amount__lte=MAX_AMOUNT) & Q(amount__gte=-MAX_AMOUNT), name="schedule_line_amount_bound"
            ),
        ]
        indexes = [
            # What a run gathers: lines to be paid by a day.
            models.Index(fields=["due_on"], name="schedule_line_to_pay", condition=Q(status="scheduled")),
            models.Index(fields=["plan", "period_start"], name="schedule_line_plan"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} £{self.amount} due {self.due_on}"


class RunLine(models.Model):
    """A line gathered into a run when the run was made: what the second person is asked to confirm."""

    run = models.ForeignKey(PaymentRun, on_delete=models.CASCADE, related_name="+")
    line = models.ForeignKey(ScheduleLine, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "line"], name="run_line_once")]

    def __str__(self):
        return f"Line {self.line_id} in payment run {self.run_id}"
