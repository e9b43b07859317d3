"""Screenings for a personal health budget, the IPC cohorts they can use, and PHB team decisions."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from eligibility.rules import Funding, Outcome, Route, Section117
from phb.words import long_date

OUTCOME_CHOICES = [(o.value, o.label) for o in Outcome]
ROUTE_CHOICES = [(r.value, r.label) for r in Route]


class IPCCohort(models.Model):
    """A group of people the ICB has chosen to offer budgets to. Administrators edit these."""

    code = models.SlugField(max_length=50, unique=True, help_text="A short name that never changes, for reports.")
    name = models.CharField(max_length=200)
    description = models.CharField(max_length=2000, blank=True)
    needs_decision = models.BooleanField(
        default=False, help_text="Screenings in this cohort go to the PHB team for a decision."
    )
    retired_on = models.DateField(null=True, blank=True, help_text="From this date the cohort is no longer offered.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "IPC cohort"

    def __str__(self):
        return self.name


class FundingAnswer(models.TextChoices):
    NONE = Funding.NONE.value, "Neither"
    CHC = Funding.CHC.value, "NHS Continuing Healthcare (adults)"
    CC = Funding.CC.value, "Children's continuing care (17 or under)"


class Section117Answer(models.TextChoices):
    NONE = Section117.NONE.value, "No"
    AFTERCARE = Section117.AFTERCARE.value, "Yes, after detention under section 3, 37, 45A, 47 or 48"
    SECTION_2_ONLY = Section117.SECTION_2_ONLY.value, "They were detained under section 2 only"


class Decision(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"
    AWAITING = "awaiting", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


# The outcomes that make a person eligible without a decision; a referral is eligible once the PHB team
# approves it. Screening.is_eligible and eligible_q are this rule, on a loaded screening and in SQL.
ELIGIBLE_OUTCOMES = frozenset({Outcome.ELIGIBLE, Outcome.IPC_OFFER})


def eligible_q(prefix: str = "") -> Q:
    """Screening.is_eligible as a filter on screenings reached through `prefix` (e.g. "screenings__")."""
    return Q(**{f"{prefix}outcome__in": sorted(ELIGIBLE_OUTCOMES)}) | Q(**{f"{prefix}decision": Decision.APPROVED})


class Screening(models.Model):
    """One screening of one person on one date. Never changed after saving, except by the decision."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="screenings")
    screened_on = models.DateField("Screening date")

    # The answers (the facts the rules read).
    funding = models.CharField(max_length=10, choices=FundingAnswer.choices)
    hospital_inpatient = models.BooleanField(default=False)
    section_117 = models.CharField(max_length=20, choices=Section117Answer.choices)
    wheelchair = models.BooleanField(default=False)
    commissioned_package = models.BooleanField(default=False)
    package_description = models.CharField(max_length=2000, blank=True)
    block_contract_services = models.JSONField(default=list, blank=True)
    cohorts = models.ManyToManyField(IPCCohort, blank=True, related_name="screenings")

    # What the rules said, kept as it was (cohort names and all), so later
    # changes to cohorts or rules never rewrite a past screening.
    outcome = models.CharField(max_length=20, choices=OUTCOME_CHOICES)
    route = models.CharField(max_length=20, choices=ROUTE_CHOICES)
    reasons = models.JSONField(default=list)
    next_steps = models.JSONField(default=list, blank=True)
    findings = models.JSONField(default=list, blank=True)

    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.NOT_NEEDED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=2000, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-screened_on", "-created_at"]
        constraints = [
            # Only a referral waits for, or has, a decision.
            models.CheckConstraint(
                condition=Q(outcome=Outcome.REFERRED.value) | Q(decision="not_needed"),
                name="screening_decision_only_for_referrals",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["not_needed", "awaiting"])
                | (Q(decided_by__isnull=False) & Q(decided_at__isnull=False) & ~Q(decision_reason="")),
                name="screening_decision_has_who_when_why",
            ),
        ]
        indexes = [
            # The referrals waiting, in the queue's order (eligibility.selectors.decision_queue, the PHB team's tray).
            models.Index(fields=["decision", "screened_on", "created_at"], name="screening_queue"),
            models.Index(fields=["person", "screened_on"], name="screening_person_date"),
        ]

    def __str__(self):
        return f"Screening of {self.person} on {long_date(self.screened_on)}"

    @property
    def effective_outcome(self) -> str:
        """The outcome that stands: the rules' own, or the PHB team's decision on a referral."""
        if self.decision == Decision.APPROVED:
            return "Eligible: approved by the PHB team"
        if self.decision == Decision.DECLINED:
            return "Not eligible: declined by the PHB team"
        return Outcome(self.outcome).label

    @property
    def is_eligible(self) -> bool:
        return self.outcome in ELIGIBLE_OUTCOMES or self.decision == Decision.APPROVED

    @property
    def inpatient_asked(self) -> bool:
        """Whether "Are they a hospital inpatient now?" was asked: only with continuing care funding, where
        the answer decides between a right to have a budget and not being eligible yet."""
        return self.funding != FundingAnswer.NONE

    @property
    def waiting_since(self):
        """The date a referral waits from: the day the person was screened, which may be days before the record
        was typed in, so the PHB team's queue counts from it and puts the longest wait first."""
        return self.screened_on

    @property
    def route_label(self) -> str:
        return Route(self.route).label
