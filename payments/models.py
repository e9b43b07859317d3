"""Money in use: each plan's payment schedule, and the payment runs that pay it.

A schedule line is worked out by payments.rules (pure) when a plan version becomes active (payments.services):
what is paid into the holder's account, or committed to a provider, for which days and when. A line is paid by
exactly one confirmed payment run: the database refuses a paid line without its run, and a trigger refuses any
change to a line once paid (payments/triggers.py), so two runs confirmed at the same moment cannot both pay it.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from careplans.rules import MONEY_OPTION_LABELS
from payments.balance import FlagCode, TransactionKind
from payments.rules import ACCOUNT_OPTIONS, LINE_KIND_LABELS, LINE_STATUS_LABELS, TO_PAY_BACK, LineKind, LineStatus
from phb.money import MAX_AMOUNT
from phb.outbox import OutboxRow
from phb.words import long_date

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


class ScheduleLineQuerySet(models.QuerySet):
    def to_pay(self, *, due_by: datetime.date):
        """What a payment run pays: payments into an account (rules.ACCOUNT_OPTIONS) due by the day, still to pay
        and not held. Notional money's lines stay commitments: the NHS pays the providers against their invoices."""
        return self.filter(status=LineStatus.SCHEDULED, due_on__lte=due_by, money_option__in=ACCOUNT_OPTIONS)


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

    objects = ScheduleLineQuerySet.as_manager()

    class Meta:
        ordering = ["period_start", "kind", "money_option", "payee"]
        constraints = [
            # Paid exactly when a run paid it.
            models.CheckConstraint(
                condition=Q(status="paid", paid_in__isnull=False) | (~Q(status="paid") & Q(paid_in__isnull=True)),
                name="schedule_line_paid_by_a_run",
            ),
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="schedule_line_period"),
            # Only money to be paid back is negative (a recovery after a change, or a repayment taken off).
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(kind__in=sorted(kind.value for kind in TO_PAY_BACK)),
                name="schedule_line_amount_sign",
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


# Statements and spend -------------------------------------------------------------------------------------------

TRANSACTION_KIND_LABELS = {
    TransactionKind.PAYMENT_IN: "Payment in",
    TransactionKind.SPEND: "Spent",
    TransactionKind.REFUND: "Refund",
    TransactionKind.RECOVERY: "Paid back to the NHS",
}
TRANSACTION_KIND_CHOICES = [(kind.value, TRANSACTION_KIND_LABELS[kind]) for kind in TransactionKind]


class SourceKind(models.TextChoices):
    BANK = "bank", "Bank account"
    MANAGED = "managed", "Managed account"
    PREPAID = "prepaid", "Prepaid card"


class StatementSource(models.Model):
    """Where a plan's statements come from (a bank account, a managed-account provider, a prepaid card), and the
    columns of its CSV statements as chosen the first time (payments.statements.ColumnMapping), remembered for
    the next one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.PROTECT, related_name="statement_sources")
    name = models.CharField("Name of the account or card", max_length=100)
    kind = models.CharField("Kind of account", max_length=20, choices=SourceKind.choices)
    mapping = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["plan", "name"], name="statement_source_name_once")]

    def __str__(self):
        return self.name


class StatementFormat(models.TextChoices):
    CSV = "csv", "CSV file"
    OFX = "ofx", "OFX file"
    TYPED = "typed", "Typed in"
    REPAYMENT = "repayment", "Repayment agreed by the PHB team"  # written by payments.reclaims, not by a person


class Statement(models.Model):
    """What one file (or one transaction typed in) brought: the days it covers and who added it. A statement
    covering the last day of a direct-payment period answers that period's statement (payments.balance.flags)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.PROTECT, related_name="statements")
    source = models.ForeignKey(
        StatementSource, null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )
    file_format = models.CharField(max_length=10, choices=StatementFormat.choices)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    covers_from = models.DateField()
    covers_to = models.DateField()
    received_on = models.DateField()
    added = models.PositiveIntegerField(default=0)  # transactions it added (those seen before are not added again)
    already_seen = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-covers_to", "-added_at"]
        constraints = [
            models.CheckConstraint(condition=Q(covers_from__lte=models.F("covers_to")), name="statement_covers"),
        ]
        indexes = [models.Index(fields=["plan", "covers_to"], name="statement_plan")]

    def __str__(self):
        return f"Statement {self.covers_from} to {self.covers_to}"


class Receipt(models.Model):
    """A receipt (PDF, JPEG or PNG, its type read from its content) for a transaction typed in. Kept in the
    database, never under static or media paths, and served only by an access-checked, audited view. Lists
    never load `content` (they use .defer or .only)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.PROTECT, related_name="receipts")
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-added_at"]

    def __str__(self):
        return self.file_name


class MatchHow(models.TextChoices):
    RULE = "rule", "Matched by an earlier match"
    PERSON = "person", "Matched by hand"


class Transaction(models.Model):
    """Money in or out of the holder's account (payments.balance.Transaction). `amount` is more than £0: the kind
    says which way it goes. Seen once: `fingerprint` is the bank's transaction id where the file has one,
    otherwise a hash of the date, amount, description and running balance (payments.statements.fingerprint)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.PROTECT, related_name="transactions")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="transactions")
    on = models.DateField("Date")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    kind = models.CharField(max_length=20, choices=TRANSACTION_KIND_CHOICES)
    description = models.CharField(max_length=300)
    payee = models.CharField(max_length=200, blank=True)  # normalised, for matching (payments.matching.payee_key)
    bank_id = models.CharField(max_length=100, blank=True)
    running_balance = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    fingerprint = models.CharField(max_length=64)
    item_key = models.UUIDField(null=True, blank=True)  # the plan item it is matched to
    not_in_plan = models.BooleanField(default=False)
    matched_how = models.CharField(max_length=10, choices=MatchHow.choices, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-added_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "fingerprint"], name="transaction_seen_once"),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount__lte=MAX_AMOUNT), name="transaction_amount_bound"
            ),
            models.CheckConstraint(
                condition=~(Q(item_key__isnull=False) & Q(not_in_plan=True)), name="transaction_matched_one_way"
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "on"], name="transaction_plan"),
            models.Index(
                fields=["plan"],
                name="transaction_to_match",
                condition=Q(kind="spend", item_key__isnull=True, not_in_plan=False),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} £{self.amount} on {self.on}"


class MatchRule(models.Model):
    """Learned from a match by hand: spend to this payee is for this plan item (payments.matching)."""

    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.PROTECT, related_name="match_rules")
    payee = models.CharField(max_length=200)
    item_key = models.UUIDField()
    learned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    learned_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "payee"], name="match_rule_once")]

    def __str__(self):
        return f"{self.payee} → {self.item_key}"


class Invoice(models.Model):
    """A provider's invoice against notional money: recorded by a coordinator or finance, approved by the PHB
    team member who records it (approved_by)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.PROTECT, related_name="invoices")
    item_key = models.UUIDField(null=True, blank=True)
    provider = models.CharField(max_length=200)
    reference = models.CharField("Invoice number", max_length=100, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="invoice_period"),
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(amount__lte=MAX_AMOUNT), name="invoice_amount"),
        ]

    def __str__(self):
        return f"Invoice from {self.provider} £{self.amount}"


class Suspension(models.Model):
    """Payments held from a day (a hospital stay, say) with a reason, until resumed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.PROTECT, related_name="suspensions")
    starts_on = models.DateField("Hold payments from")
    ends_on = models.DateField("Resume payments from", null=True, blank=True)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__lt=models.F("ends_on")), name="suspension_dates"
            ),
        ]

    def __str__(self):
        return f"Payments held from {self.starts_on}"


# Reclaim and stopping (NHS (Direct Payments) Regulations 2013, regulations 13 and 14) ----------------------------


class ActionKind(models.TextChoices):
    RECLAIM = "reclaim", "Repayment"
    STOP = "stop", "Stopping direct payments"


class ActionStatus(models.TextChoices):
    PROPOSED = "proposed", "Letter sent: waiting for a response"
    AGREED = "agreed", "Decided: going ahead"
    NOT_AGREED = "not_agreed", "Decided: not going ahead"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Recovery(models.TextChoices):
    DEDUCT = "deduct", "Taken off future payments"
    PAID_BACK = "paid_back", "Paid back by the person"


class AfterStopping(models.TextChoices):
    NOTIONAL = "notional", "The NHS arranges the care (notional budget)"
    THIRD_PARTY = "third_party", "A third party holds the money"
    END = "end", "The personal health budget ends"


class MoneyAction(models.Model):
    """A proposed repayment (regulation 13) or stopping of direct payments (regulation 14): proposed by one
    member of the PHB team with a letter, the person's response (or none by respond_by), then decided by a
    second member with reasons (four eyes, a check constraint)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.PROTECT, related_name="money_actions")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.PROPOSED)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)  # a repayment's
    from_period = models.DateField("Money from the period starting", null=True, blank=True)  # a repayment's
    effective_on = models.DateField("Stop from", null=True, blank=True)  # a stopping's
    after_stopping = models.CharField(max_length=20, choices=AfterStopping.choices, blank=True)
    reasons = models.TextField()
    respond_by = models.DateField()
    letter_pdf = models.BinaryField()
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    response = models.TextField(blank=True)
    response_on = models.DateField(null=True, blank=True)
    response_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reasons = models.TextField(blank=True)
    recovery = models.CharField(max_length=20, choices=Recovery.choices, blank=True)
    instalments = models.PositiveSmallIntegerField(null=True, blank=True)
    decision_letter_pdf = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="money_action_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(kind="stop") | (Q(amount__gt=0) & Q(amount__lte=MAX_AMOUNT)),
                name="money_action_reclaim_amount",
            ),
            models.CheckConstraint(
                condition=Q(kind="reclaim") | Q(effective_on__isnull=False), name="money_action_stop_date"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "withdrawn"], decided_at__isnull=True)
                | (Q(status__in=["agreed", "not_agreed"]) & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="money_action_decided_by_someone",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} proposed {self.proposed_at:%Y-%m-%d}"

    def waits_for_decision(self, today: datetime.date) -> bool:
        """A proposal waits for a decision once its response is recorded or the day to respond by has passed: the
        rule waiting_for_decision writes for a queryset (the PHB team's tray), beside it."""
        return self.status == ActionStatus.PROPOSED and (self.response_on is not None or self.respond_by < today)

    def status_in_words(self) -> str:
        """The status as the pages show it."""
        if self.waits_for_decision(timezone.localdate()):
            if self.response_on is not None:
                return "Response recorded: waiting for a decision"
            return f"No response by {long_date(self.respond_by)}: waiting for a decision"
        return self.get_status_display()


def waiting_for_decision(today: datetime.date) -> Q:
    """MoneyAction.waits_for_decision as a filter: still proposed, and the person's response recorded or the day to
    respond by passed."""
    return Q(status=ActionStatus.PROPOSED) & (Q(response_on__isnull=False) | Q(respond_by__lt=today))


FLAG_CHOICES = [(code.value, code.title) for code in FlagCode]


class MoneyFlag(models.Model):
    """A flag raised on a plan's money today (payments.balance.flags), kept so the caseload, the trays and the
    person page can show it without working out anyone's money: payments.flagging keeps these rows, when money
    moves (the services) and each day (its beat task), writing only what changed. Worked out by the rules, never
    typed in: like the journey's facts, not audited (what moved the money is)."""

    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.CASCADE, related_name="money_flags")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="money_flags")
    code = models.CharField(max_length=30, choices=FLAG_CHOICES)
    sentence = models.TextField()
    raised_on = models.DateField()  # the day it was first raised, kept while it stays raised
    # For a statement overdue: the last day of the period whose statement has not arrived (its reminders' key).
    period_end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["raised_on", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="money_flag_once_a_plan")]
        indexes = [models.Index(fields=["person", "code"], name="money_flag_person")]

    def __str__(self):
        return f"{self.get_code_display()} since {long_date(self.raised_on)}"


# Statement reminders (payments.reminders) ------------------------------------------------------------------------


class StatementReminderKind(models.TextChoices):
    PERSON = "person", "To the person, when the statement is overdue"
    COORDINATOR = "coordinator", "To the care coordinator, 14 days after"


class StatementReminder(OutboxRow):
    """Outbox (phb.outbox): one row per (plan, period, kind) whose statement is overdue, inserted by the sweep in
    payments.reminders from the plan's statement-overdue MoneyFlag."""

    NOTIFY_KIND = "statement-reminder"

    plan = models.ForeignKey("careplans.SupportPlan", on_delete=models.CASCADE, related_name="statement_reminders")
    period_end = models.DateField()  # the last day of the period whose statement is overdue (MoneyFlag.period_end)
    kind = models.CharField(max_length=20, choices=StatementReminderKind.choices)

    class Meta(OutboxRow.Meta):
        constraints = [
            *OutboxRow.Meta.constraints,
            models.UniqueConstraint(fields=["plan", "period_end", "kind"], name="statement_reminder_once"),
        ]

    def __str__(self):
        return f"{self.kind} for the statement of {self.period_end}"
