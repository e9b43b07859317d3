"""Personalised care and support plans: versions, outcomes, what the money buys, and events."""

import datetime
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When

from budgets.calculate import DOMAIN_LABELS, Domain
from careplans.rules import FREQUENCY_LABELS, MONEY_OPTION_LABELS, Frequency, MoneyOption
from phb.db import ids_from
from phb.money import MAX_AMOUNT
from phb.outbox import OutboxRow
from phb.words import long_date

DOMAIN_CHOICES = [(d.value, DOMAIN_LABELS[d][:1].upper() + DOMAIN_LABELS[d][1:]) for d in Domain]
FREQUENCY_CHOICES = [(f.value, FREQUENCY_LABELS[f]) for f in Frequency]
MONEY_OPTION_CHOICES = [(o.value, MONEY_OPTION_LABELS[o]) for o in MoneyOption]


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted to the PHB team"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned for changes"
    DECLINED = "declined", "Declined"
    ACTIVE = "active", "Active"
    ENDING = "ending", "Ending"
    ENDED = "ended", "Ended"
    SUPERSEDED = "superseded", "Replaced by a newer version"
    WITHDRAWN = "withdrawn", "Withdrawn when the budget ended"


# The status sets, written once. Everything that asks "which versions are open, agreed, in force"
# asks these (a test greps the code for statuses spelled out anywhere else).
# Only a draft's content can change; every other status is a record of what was written or agreed.
Status.EDITABLE = frozenset({Status.DRAFT})
# Being written or waiting for a decision: at most one per plan (a database constraint).
Status.OPEN = frozenset({Status.DRAFT, Status.SUBMITTED})
# The PHB team's decision on a submitted version.
Status.DECIDED = frozenset({Status.APPROVED, Status.RETURNED, Status.DECLINED})
# Agreed by the PHB team at some time: what the person may see of their plan.
Status.AGREED = frozenset({Status.APPROVED, Status.ACTIVE, Status.ENDING, Status.ENDED, Status.SUPERSEDED})
# Active, or ending (still paid until the end date): at most one per plan (a database constraint).
Status.RUNNING = frozenset({Status.ACTIVE, Status.ENDING})
# Agreed and not yet replaced or ending: the plan may still be changed or reviewed.
Status.STANDING = frozenset({Status.APPROVED, Status.ACTIVE})
# Agreed and not yet replaced or ended: the version a change is copied from, and the one that is ended.
Status.CURRENT = frozenset({Status.APPROVED, Status.ACTIVE, Status.ENDING})
# Not yet in force: being written, waiting for a decision, or approved and waiting for its start date.
# Ending a budget withdraws these.
Status.PENDING = frozenset({Status.DRAFT, Status.SUBMITTED, Status.APPROVED})
# The plan is still going: a new plan cannot be started on the same budget while any version is one of these.
Status.LIVE = frozenset({Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.ACTIVE, Status.ENDING})
# The budget is ending or has ended: nothing new may be agreed for the plan.
Status.FINISHING = frozenset({Status.ENDING, Status.ENDED})
# Over: nothing more happens to a version in one of these.
Status.CLOSED = frozenset({Status.ENDED, Status.DECLINED, Status.WITHDRAWN})
EDITABLE = Status.EDITABLE


# The NHS.UK tag colour for each status, on staff pages and in the portal alike (careplans'
# plan_status_tag): grey not started or over, blue in progress, green agreed, orange or red needs attention.
STATUS_TAG_COLOURS = {
    Status.DRAFT: "blue",
    Status.SUBMITTED: "blue",
    Status.APPROVED: "green",
    Status.ACTIVE: "green",
    Status.ENDING: "orange",
    Status.RETURNED: "orange",
    Status.DECLINED: "red",
    Status.ENDED: "grey",
    Status.SUPERSEDED: "grey",
    Status.WITHDRAWN: "grey",
}


class PlanVersionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=Status.OPEN)

    def agreed(self):
        return self.filter(status__in=Status.AGREED)

    def standing(self):
        return self.filter(status__in=Status.STANDING)

    def in_force(self, *, on: datetime.date):
        """Versions in force on a date: active, or approved or ending with a start date that has come.

        A plan has at most one in force, except for the moment between a change's start date and the
        job that activates it; then the newer (higher-numbered) version is the one in force.
        (The same rule on loaded versions: in_force_among; a test holds the two together.)
        """
        return self.filter(Q(status=Status.ACTIVE) | Q(status__in=Status.CURRENT, start_date__lte=on))

    def in_force_for(self, plan, *, on: datetime.date):
        """The one version of a plan in force on a date, or None."""
        return self.filter(plan=plan).in_force(on=on).order_by("-number").first()


def in_force_from() -> Case:
    """The date from which a version is in force, as an expression on versions: PlanVersionQuerySet.in_force
    as a date, so it can be kept and compared with any day (in force on a day on or after it; NULL for a
    version never in force by its status). An active version is in force whatever its dates."""
    return Case(
        When(status=Status.ACTIVE, then=Value(datetime.date.min)),
        When(status__in=sorted(Status.CURRENT), then=F("start_date")),
        default=None,
        output_field=models.DateField(),
    )


def in_force_among(versions, *, on: datetime.date):
    """PlanVersionQuerySet.in_force_for over a plan's versions already loaded (a page that has them all)."""
    found = [
        version
        for version in versions
        if version.status == Status.ACTIVE
        or (version.status in Status.CURRENT and version.start_date is not None and version.start_date <= on)
    ]
    return max(found, key=lambda version: version.number, default=None)


class ItemCategory(models.TextChoices):
    PERSONAL_CARE = "personal_care", "Personal care and support"
    THERAPY = "therapy", "Therapy and treatment"
    EQUIPMENT = "equipment", "Equipment and adaptations"
    ACTIVITIES = "activities", "Activities, classes and hobbies"
    TRANSPORT = "transport", "Transport"
    SHORT_BREAKS = "short_breaks", "Short breaks and respite"
    OTHER = "other", "Something else"


class DirectPaymentRecipient(models.TextChoices):
    PERSON = "person", "The person"
    REPRESENTATIVE = "representative", "A representative (for a child or an adult who lacks capacity)"
    NOMINEE = "nominee", "A nominee"


class PaymentFrequency(models.TextChoices):
    FOUR_WEEKLY = "4_weekly", "Every 4 weeks"
    MONTHLY = "monthly", "Every month"


class AgreementMethod(models.TextChoices):
    SIGNED = "signed", "Signed by the person"
    VERBAL = "verbal", "Agreed verbally, with a witness"
    REPRESENTATIVE = "representative", "Agreed by their representative"


class EndReason(models.TextChoices):
    CONSENT_WITHDRAWN = "consent_withdrawn", "The person no longer wants a personal health budget"
    NOT_ELIGIBLE = "not_eligible", "The person is no longer eligible"
    NEEDS_NOT_MET = "needs_not_met", "The budget is not meeting the person's needs"
    MONEY_MISUSED = "money_misused", "The money has not been used as agreed"
    DIED = "died", "The person has died"
    MOVED_AWAY = "moved_away", "The person has moved away"


class SupportPlan(models.Model):
    """A person's plan across all its versions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="support_plans")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A team's plans from its people, from the index alone (reviews due and their counts).
            models.Index(fields=["person", "id"], name="plan_person_and_id"),
        ]

    def __str__(self):
        return f"Support plan for {self.person}"


class PlanVersion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    budget_version = models.ForeignKey("budgets.BudgetVersion", on_delete=models.PROTECT, related_name="+")

    start_date = models.DateField("Start date", null=True, blank=True)
    what_matters = models.CharField("What matters to me", blank=True, max_length=5000)
    about_me = models.CharField("About me", blank=True, max_length=5000)
    helped_by = models.CharField("Who helped write this plan", max_length=300, blank=True)

    care_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    health_monitor = models.CharField("Who monitors the health condition", max_length=300, blank=True)
    first_review_date = models.DateField("Date of the first review", null=True, blank=True)
    review_method = models.CharField("How the review will be done", max_length=300, blank=True)
    reduction_notice_days = models.PositiveIntegerField(
        "Notice before any reduction (days)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(365, message="Notice period must be 365 days or fewer")],
    )
    risks = models.CharField("Risks and how they are managed", blank=True, max_length=5000)
    contingency = models.CharField("What happens if support fails", blank=True, max_length=5000)

    dp_recipient = models.CharField(
        "Who receives the direct payment", max_length=20, choices=DirectPaymentRecipient.choices, blank=True
    )
    dp_recipient_name = models.CharField("Their name", max_length=200, blank=True)
    dp_amount = models.DecimalField(
        "Amount of each payment",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MaxValueValidator(MAX_AMOUNT, message=f"Amount of each payment must be £{MAX_AMOUNT:,.0f} or less")
        ],
    )
    dp_frequency = models.CharField("How often it is paid", max_length=10, choices=PaymentFrequency.choices, blank=True)

    agreed_on = models.DateField("Date agreed", null=True, blank=True)
    agreement_method = models.CharField("How they agreed", max_length=20, choices=AgreementMethod.choices, blank=True)
    agreement_witness = models.CharField("Witness or representative", max_length=200, blank=True)
    # 5,000 characters, like the plan's other long answers: 2.4 million once saved and made the plan's PDF
    # take 45 seconds.
    over_budget_justification = models.CharField("Why the plan costs more than the budget", blank=True, max_length=5000)

    # Optimistic lock for drafts: every save names the revision it started from.
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # The PHB team's side (see careplans/approval.py). These change as the version
    # moves on, so the triggers that freeze a version's content leave them alone.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=2000, blank=True)
    conditions = models.CharField(max_length=2000, blank=True)
    agreed_annual = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=30, choices=EndReason.choices, blank=True)
    end_note = models.CharField(max_length=2000, blank=True)
    unspent_to_repay = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(0, message="Unspent money to repay must be £0 or more"),
            MaxValueValidator(MAX_AMOUNT, message=f"Unspent money to repay must be £{MAX_AMOUNT:,.0f} or less"),
        ],
    )

    objects = PlanVersionQuerySet.as_manager()

    # The plan as written: what the coordinator edits in a draft, what the person agrees to, and what
    # is frozen once the version is submitted (by the services, and by the PostgreSQL trigger that
    # careplans/triggers.py builds from FROZEN_FIELDS). Every other field is the workflow's record
    # (WORKFLOW_FIELDS). A test fails when a field is in neither list, or the trigger in the database
    # freezes other columns than FROZEN_FIELDS.
    CONTENT_FIELDS = (
        "start_date",
        "what_matters",
        "about_me",
        "helped_by",
        "care_coordinator",
        "health_monitor",
        "first_review_date",
        "review_method",
        "reduction_notice_days",
        "risks",
        "contingency",
        "dp_recipient",
        "dp_recipient_name",
        "dp_amount",
        "dp_frequency",
        "agreed_on",
        "agreement_method",
        "agreement_witness",
        "over_budget_justification",
    )
    FROZEN_FIELDS = ("plan", "number", "budget_version", *CONTENT_FIELDS)
    WORKFLOW_FIELDS = (
        "id",
        "status",
        "revision",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
        "submitted_at",
        "submitted_by",
        "assigned_to",
        "decided_by",
        "decided_at",
        "decision_reason",
        "conditions",
        "agreed_annual",
        "ended_on",
        "end_reason",
        "end_note",
        "unspent_to_repay",
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number"),
            # One version being written or waiting for a decision at a time, and one in force.
            models.UniqueConstraint(
                fields=["plan"], condition=Q(status__in=sorted(Status.OPEN)), name="plan_one_open_version"
            ),
            models.UniqueConstraint(
                fields=["plan"], condition=Q(status__in=sorted(Status.RUNNING)), name="plan_one_active_version"
            ),
            models.CheckConstraint(
                condition=Q(dp_amount__isnull=True) | Q(dp_amount__gt=0), name="plan_dp_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(dp_amount__isnull=True) | Q(dp_amount__lte=MAX_AMOUNT), name="plan_dp_amount_at_most_max"
            ),
            models.CheckConstraint(
                condition=Q(unspent_to_repay__isnull=True)
                | (Q(unspent_to_repay__gte=0) & Q(unspent_to_repay__lte=MAX_AMOUNT)),
                name="plan_unspent_in_range",
            ),
            models.CheckConstraint(
                condition=Q(reduction_notice_days__isnull=True) | Q(reduction_notice_days__lte=365),
                name="plan_notice_at_most_a_year",
            ),
        ]
        indexes = [
            # Plans to decide: only the versions waiting, in the order they were submitted.
            models.Index(
                fields=["submitted_at", "id"], condition=Q(status=Status.SUBMITTED), name="plan_version_to_decide"
            ),
        ]

    def __str__(self):
        return f"Version {self.number} of {self.plan}"

    @property
    def is_editable(self) -> bool:
        return self.status in Status.EDITABLE

    @property
    def is_ending(self) -> bool:
        return self.status == Status.ENDING

    @property
    def status_words(self) -> str:
        """The status as a page shows it: an ending budget says when it ends."""
        if self.status == Status.ENDING and self.ended_on:
            return f"Ending on {long_date(self.ended_on)}"
        if self.status == Status.ENDED and self.ended_on:
            return f"Ended on {long_date(self.ended_on)}"
        return self.get_status_display()

    @property
    def status_tag_colour(self) -> str:
        return STATUS_TAG_COLOURS.get(self.status, "grey")


class Outcome(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="outcomes")
    # The same outcome keeps its key across versions, so versions can be compared.
    key = models.UUIDField(default=uuid.uuid4)
    domain = models.CharField("Part of life", max_length=20, choices=DOMAIN_CHOICES)
    goal = models.CharField("What I want to achieve", max_length=2000)
    measure = models.CharField("How we will know it is achieved", max_length=2000)
    target_date = models.DateField("Target date", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["plan_version", "key"], name="outcome_key_per_version")]

    def __str__(self):
        return self.goal[:60]


class SupportItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="items")
    key = models.UUIDField(default=uuid.uuid4)
    description = models.CharField("What the money buys", max_length=300)
    provider = models.CharField("Provider", max_length=200, blank=True)
    category = models.CharField("Category", max_length=20, choices=ItemCategory.choices)
    unit_cost = models.DecimalField(
        "Cost of one unit",
        max_digits=12,
        decimal_places=2,
        validators=[MaxValueValidator(MAX_AMOUNT, message=f"Cost of one unit must be £{MAX_AMOUNT:,.0f} or less")],
    )
    quantity = models.DecimalField("Quantity", max_digits=8, decimal_places=2)
    frequency = models.CharField("How often", max_length=10, choices=FREQUENCY_CHOICES)
    money_option = models.CharField("How the money is managed", max_length=20, choices=MONEY_OPTION_CHOICES)
    third_party_organisation = models.CharField("Organisation holding the money", max_length=200, blank=True)
    outcomes = models.ManyToManyField(Outcome, blank=True, related_name="items")
    # careplans.selectors.details() annotates each item with `linked_outcome_ids` (IdList), so a
    # page reads an item's outcomes from its version's outcomes rather than with a query of its own.
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan_version", "key"], name="item_key_per_version"),
            models.CheckConstraint(condition=Q(unit_cost__gt=0), name="item_cost_positive"),
            models.CheckConstraint(condition=Q(unit_cost__lte=MAX_AMOUNT), name="item_cost_at_most_max"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="item_quantity_positive"),
            models.CheckConstraint(
                condition=~Q(money_option="third_party") | ~Q(third_party_organisation=""),
                name="item_third_party_named",
            ),
        ]

    def __str__(self):
        return self.description

    def linked_outcomes(self) -> list:
        """The outcomes this item is for. Read from the version's outcomes when both were loaded by
        careplans.selectors.version_with_details (no query); otherwise asked of the database."""
        ids = getattr(self, "linked_outcome_ids", None)
        version = self._state.fields_cache.get("plan_version")
        loaded = getattr(version, "_prefetched_objects_cache", {}).get("outcomes")
        if ids is None or loaded is None:
            return list(self.outcomes.all())
        wanted = {uuid.UUID(value) for value in ids_from(ids)}
        return [outcome for outcome in loaded if outcome.pk in wanted]


class EventKind(models.TextChoices):
    STATUS = "status", "Status changed"
    ENDING_ASKED = "ending_asked", "Ending asked for"
    ENDING_REFUSED = "ending_refused", "Ending refused"


class PlanEvent(models.Model):
    """Every change of status (who, when, from, to, why), and the steps of an ending that waits for a
    second person (asked for, refused; its confirmation is the change of status). The plan's timeline."""

    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="events")
    # A database default too: the national-scale generator writes events with COPY, naming its columns.
    kind = models.CharField(max_length=20, choices=EventKind.choices, default=EventKind.STATUS, db_default="status")
    at = models.DateTimeField(auto_now_add=True)
    # None for the system (for example, a plan becoming active on its start date).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    # A reason typed on a form (up to 2,000 characters) with the words the service puts before it.
    reason = models.CharField(max_length=3000, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        if not self.is_status_change:
            return self.get_kind_display()
        return f"{self.from_status or 'new'} → {self.to_status}"

    @property
    def is_status_change(self) -> bool:
        return self.kind == EventKind.STATUS


class EndingStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for a PHB team member to confirm it"
    CONFIRMED = "confirmed", "Confirmed"
    REFUSED = "refused", "Refused"
    OVERTAKEN = "overtaken", "Not needed: the budget was ended for another reason"


class EndingRequest(models.Model):
    """An ending that needs a second person (careplans.lifecycle.needs_second_person): asked for by one
    member of staff, it waits until a PHB team member who did not ask confirms it (then the budget is
    ended as asked) or refuses it (the plan goes on unchanged)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="ending_requests")
    # The version it was asked from (a change that starts meanwhile is the one ended on confirmation).
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("Why the budget is ending", max_length=30, choices=EndReason.choices)
    ended_on = models.DateField("End date")
    note = models.CharField("More about the reason", max_length=2000, blank=True)
    unspent_to_repay = models.DecimalField(
        "Unspent direct payment money to be repaid",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(0, message="Unspent money to repay must be £0 or more"),
            MaxValueValidator(MAX_AMOUNT, message=f"Unspent money to repay must be £{MAX_AMOUNT:,.0f} or less"),
        ],
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=EndingStatus.choices, default=EndingStatus.WAITING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.CharField("Why the ending is refused", max_length=2000, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            # One ending waiting per plan: asking twice, or two people asking at once, makes one.
            models.UniqueConstraint(
                fields=["plan"], condition=Q(status=EndingStatus.WAITING), name="ending_one_waiting_per_plan"
            ),
            # Four eyes, in the database too: nobody confirms or refuses an ending they asked for.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="ending_decided_by_someone_else",
            ),
            models.CheckConstraint(
                condition=Q(unspent_to_repay__isnull=True)
                | (Q(unspent_to_repay__gte=0) & Q(unspent_to_repay__lte=MAX_AMOUNT)),
                name="ending_unspent_in_range",
            ),
        ]
        indexes = [
            # Endings to confirm: only those waiting, oldest first.
            models.Index(
                fields=["requested_at", "id"], condition=Q(status=EndingStatus.WAITING), name="ending_waiting"
            ),
        ]

    def __str__(self):
        return f"Ending of {self.plan} asked for on {self.requested_at:%Y-%m-%d}"

    @property
    def is_waiting(self) -> bool:
        return self.status == EndingStatus.WAITING


class ReviewKind(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled review"
    UNSCHEDULED = "unscheduled", "Unscheduled review"


class ReviewStatus(models.TextChoices):
    DUE = "due", "Due"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class UnscheduledReason(models.TextChoices):
    HEALTH_CHANGED = "health_changed", "Their health has changed significantly"
    MONEY_NOT_ENOUGH = "money_not_enough", "The money is not enough"
    CONCERN_RAISED = "concern_raised", "The person has raised a concern"
    SAFEGUARDING = "safeguarding", "Safeguarding"


class ReviewDecision(models.TextChoices):
    CONTINUE = "continue", "Continue the plan unchanged"
    AMEND = "amend", "Change the plan (a new version goes to the PHB team for approval)"
    END = "end", "End the personal health budget"


class Satisfaction(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", "Very satisfied"
    SATISFIED = "satisfied", "Satisfied"
    NEITHER = "neither", "Neither satisfied nor dissatisfied"
    DISSATISFIED = "dissatisfied", "Dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied", "Very dissatisfied"


class Review(models.Model):
    """A review of a plan with the person: due by a date, then completed with what it found."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="reviews")
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(max_length=20, choices=ReviewKind.choices, default=ReviewKind.SCHEDULED)
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DUE)
    reason = models.CharField(max_length=20, choices=UnscheduledReason.choices, blank=True)
    reason_note = models.CharField(max_length=2000, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    money_enough = models.BooleanField(null=True, blank=True)
    money_notes = models.CharField(max_length=2000, blank=True)
    used_as_planned = models.BooleanField(null=True, blank=True)
    use_notes = models.CharField(max_length=2000, blank=True)
    safety_notes = models.CharField(max_length=2000, blank=True)
    satisfaction = models.CharField(max_length=20, choices=Satisfaction.choices, blank=True)
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices, blank=True)

    class Meta:
        ordering = ["due_on", "created_at"]
        indexes = [
            # The reminder sweep reads only reviews still waiting to be done.
            models.Index(fields=["due_on"], condition=Q(status="due"), name="review_due_not_done"),
            # A coordinator's reviews due: found plan by plan from their people, from the index alone.
            models.Index(fields=["plan", "due_on"], condition=Q(status="due"), name="review_due_by_plan"),
        ]
        constraints = [
            # At most one scheduled review waiting per plan: completing it schedules the next.
            models.UniqueConstraint(
                fields=["plan"], condition=Q(kind="scheduled", status="due"), name="review_one_scheduled_due"
            ),
            # At most one review asked for and not yet done per plan: asking again finds it (review_request),
            # so a form sent twice, or two colleagues asking at once, make one review and one set of reminders.
            models.UniqueConstraint(
                fields=["plan"], condition=Q(kind="unscheduled", status="due"), name="review_one_unscheduled_due"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} due {long_date(self.due_on)}"


class LetterKind(models.TextChoices):
    APPROVAL = "approval", "Approval letter"
    DECLINE = "decline", "Decline letter"
    RETURN = "return", "Return notice to the coordinator"
    ENDING = "ending", "Ending letter"


class Letter(models.Model):
    """A letter as it was sent, kept on the person's record. Never changed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="plan_letters")
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=20, choices=LetterKind.choices)
    pdf = models.BinaryField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.person}"


class DecisionEmail(OutboxRow):
    """Outbox (phb.outbox): one e-mail to the coordinator per decision, sent by careplans.emails."""

    NOTIFY_KIND = "decision"

    event = models.OneToOneField(PlanEvent, on_delete=models.PROTECT, related_name="email")
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()

    class Meta(OutboxRow.Meta):
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.subject} to {self.to}"


class PostedLetter(OutboxRow):
    """Outbox (phb.outbox): a letter to the person posted through GOV.UK Notify, when they chose to have their
    letters posted (Person.letters_by_post). Written with the Letter (careplans.approval), sent by
    careplans.emails as the PDF kept on the record."""

    NOTIFY_KIND = "letter"

    letter = models.OneToOneField(Letter, on_delete=models.PROTECT, related_name="posting")
    postage = models.CharField(max_length=20, default="second")

    class Meta(OutboxRow.Meta):
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.letter} by {self.postage} class post"


class Progress(models.TextChoices):
    ACHIEVED = "achieved", "Achieved"
    PARTLY = "partly", "Partly achieved"
    NOT_YET = "not_yet", "Not yet"
    NO_LONGER_RELEVANT = "no_longer_relevant", "No longer relevant"


class Change(models.TextChoices):
    BETTER = "better", "Got better"
    SAME = "same", "Stayed the same"
    WORSE = "worse", "Got worse"


class ReviewOutcome(models.Model):
    """Progress on one of the plan's outcomes, in the person's own words."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="outcome_progress")
    outcome = models.ForeignKey(Outcome, on_delete=models.PROTECT, related_name="+")
    progress = models.CharField(max_length=20, choices=Progress.choices)
    own_words = models.CharField(max_length=2000, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "outcome"], name="review_outcome_once")]

    def __str__(self):
        return f"{self.outcome}: {self.get_progress_display()}"


class ReviewDomainRating(models.Model):
    """For each part of life the plan's outcomes are about: better, the same or worse (POET-like)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="domain_ratings")
    domain = models.CharField(max_length=20, choices=DOMAIN_CHOICES)
    change = models.CharField(max_length=10, choices=Change.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "domain"], name="review_domain_once")]

    def __str__(self):
        return f"{self.get_domain_display()}: {self.get_change_display()}"


class ReviewReminder(OutboxRow):
    """Outbox (phb.outbox): one row per (review, kind), inserted by the sweep in careplans.reminders."""

    NOTIFY_KIND = "review-reminder"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20)

    class Meta(OutboxRow.Meta):
        constraints = [
            *OutboxRow.Meta.constraints,
            models.UniqueConstraint(fields=["review", "kind"], name="reminder_once_per_kind"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.review_id}"
