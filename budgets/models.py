"""Assessments of need, the services a person uses now, tariffs, and indicative budget versions."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from budgets.calculate import (
    DOMAIN_LABELS,
    FUNDING_LABELS,
    LEVEL_LABELS,
    MAX_PRICE_PER_POINT,
    PERIOD_LABELS,
    UNIT_LABELS,
    Domain,
    FundingSource,
    Method,
    NeedLevel,
    Period,
    UnitKind,
)
from people.models import EngagementSupport
from phb.models import AppendOnlyError
from phb.money import MAX_AMOUNT
from phb.words import long_date

DOMAIN_CHOICES = [(d.value, DOMAIN_LABELS[d]) for d in Domain]
LEVEL_CHOICES = [(level.value, LEVEL_LABELS[level]) for level in NeedLevel]
FUNDING_CHOICES = [(f.value, FUNDING_LABELS[f]) for f in FundingSource]
PERIOD_CHOICES = [(p.value, PERIOD_LABELS[p]) for p in Period]
UNIT_CHOICES = [(u.value, UNIT_LABELS[u]) for u in UnitKind]


class MethodChoice(models.TextChoices):
    COSTED = Method.COSTED.value, "Cost of current services"
    RAS = Method.RAS.value, "Resource allocation"
    HIGHER = Method.HIGHER.value, "The higher of the two"
    LOWER = Method.LOWER.value, "The lower of the two"


def _money(**kwargs):
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class Tariff(models.Model):
    """Points for each need level in each domain, and a price per point, from a date.

    Kept for ever: a budget version names the tariff it used and keeps a copy.
    """

    effective_from = models.DateField(
        "Starts on",
        unique=True,
        error_messages={"unique": "A tariff already starts on this date. Change that tariff, or choose another date"},
    )
    price_per_point = _money(
        validators=[
            MinValueValidator(Decimal("0.01"), message="Price per point must be more than 0"),
            MaxValueValidator(
                MAX_PRICE_PER_POINT, message=f"Price per point must be £{MAX_PRICE_PER_POINT:,.0f} or less"
            ),
        ]
    )
    # {domain: {level: points}} for every domain and level (see calculate.tariff_problems).
    points = models.JSONField()
    notes = models.CharField(max_length=2000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(price_per_point__gt=0), name="tariff_price_positive"),
            models.CheckConstraint(
                condition=Q(price_per_point__lte=MAX_PRICE_PER_POINT),
                name="tariff_price_at_most_max",
                violation_error_message=f"Price per point must be £{MAX_PRICE_PER_POINT:,.0f} or less",
            ),
        ]

    def __str__(self):
        return f"Tariff from {long_date(self.effective_from)}"


class Assessment(models.Model):
    """An assessment of a person's health and wellbeing needs and of the services they use now."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField("Date of assessment")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    participants = models.CharField("Who took part", max_length=1000)
    engagement_support = models.CharField(
        "How much help they need to set goals and use a budget",
        max_length=20,
        choices=[c for c in EngagementSupport.choices if c[0]],
    )
    engagement_note = models.CharField("Notes about the support they need", blank=True, max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-assessed_on", "-created_at"]

    def __str__(self):
        return f"Assessment of {self.person} on {long_date(self.assessed_on)}"


class AssessmentNeed(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="needs")
    domain = models.CharField(max_length=20, choices=DOMAIN_CHOICES)
    level = models.CharField(max_length=20, choices=LEVEL_CHOICES)
    own_words = models.CharField("In their own words", blank=True, max_length=2000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "domain"], name="need_one_per_domain")]

    def __str__(self):
        return f"{self.get_domain_display()}: {self.get_level_display()}"


class CurrentService(models.Model):
    """A service the person uses now, and what it costs a year."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="services")
    name = models.CharField("Service", max_length=200)
    provider = models.CharField("Provider", max_length=200, blank=True)
    service_type = models.CharField("Type of service", max_length=100, blank=True)
    funding = models.CharField("Who pays for it", max_length=20, choices=FUNDING_CHOICES)
    unit_cost = _money(
        verbose_name="Cost of one unit",
        validators=[
            MinValueValidator(0, message="Cost of one unit must be 0 or more"),
            MaxValueValidator(MAX_AMOUNT, message=f"Cost of one unit must be £{MAX_AMOUNT:,.0f} or less"),
        ],
    )
    units = models.DecimalField(
        "Number of units",
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), message="Number of units must be more than 0")],
    )
    unit_kind = models.CharField("Unit", max_length=10, choices=UNIT_CHOICES, default=UnitKind.HOUR.value)
    period = models.CharField("Every", max_length=10, choices=PERIOD_CHOICES)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0),
                name="service_cost_not_negative",
                violation_error_message="Cost of one unit must be 0 or more",
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__lte=MAX_AMOUNT),
                name="service_cost_at_most_max",
                violation_error_message=f"Cost of one unit must be £{MAX_AMOUNT:,.0f} or less",
            ),
            models.CheckConstraint(
                condition=Q(units__gt=0),
                name="service_units_positive",
                violation_error_message="Number of units must be more than 0",
            ),
        ]

    def __str__(self):
        return self.name


class SignOff(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"
    AWAITING = "awaiting", "Waiting for PHB team sign-off"
    SIGNED_OFF = "signed_off", "Signed off"
    RETURNED = "returned", "Returned"
    # Waiting for sign-off when a newer budget was worked out: nobody will sign it off now.
    SUPERSEDED = "superseded", "Replaced by a newer budget before sign-off"


# The sets are named once here and used everywhere (a TextChoices body would make them members).
# A budget in one of these may be used (told, a letter, a plan, the portal) if it is also the
# person's latest and they are eligible: see budgets.selectors.budget_unusable_reason.
SignOff.USABLE = frozenset({SignOff.NOT_NEEDED, SignOff.SIGNED_OFF})
# Nobody has decided on these, so they have no signed_off_by or signed_off_at (a constraint).
# A tuple, in this order, so the constraint reads the same in every migration.
SignOff.UNDECIDED = (SignOff.NOT_NEEDED, SignOff.AWAITING, SignOff.SUPERSEDED)


class BudgetVersion(models.Model):
    """One calculation of an indicative budget. Numbered per person and never changed,
    except that the PHB team signs it off (or returns it) once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="budget_versions")
    number = models.PositiveIntegerField()
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="budget_versions")
    calculated_on = models.DateField()
    tariff = models.ForeignKey(Tariff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Everything the calculation read, as it was: needs, services, the tariff.
    inputs = models.JSONField()

    costed_total = _money()
    ras_total = _money(null=True, blank=True)
    costed_lines = models.JSONField(blank=True)
    ras_lines = models.JSONField(default=list, blank=True)
    flags = models.JSONField(default=list, blank=True)

    method = models.CharField(max_length=10, choices=MethodChoice.choices)
    method_explanation = models.CharField(max_length=200)
    base_amount = _money()
    adjustment = _money(
        default=Decimal("0.00"),
        validators=[
            MinValueValidator(-MAX_AMOUNT, message=f"The adjustment must be −£{MAX_AMOUNT:,.0f} or more"),
            MaxValueValidator(MAX_AMOUNT, message=f"The adjustment must be £{MAX_AMOUNT:,.0f} or less"),
        ],
    )
    adjustment_reason = models.CharField(max_length=2000, blank=True)
    annual_amount = _money()
    council_share = _money(default=Decimal("0.00"))
    council_share_means_tested = models.BooleanField(default=False)

    sign_off = models.CharField(max_length=20, choices=SignOff.choices)
    sign_off_reasons = models.JSONField(default=list, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_note = models.CharField(max_length=2000, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["person", "number"], name="budget_version_number_per_person"),
            models.CheckConstraint(
                condition=Q(annual_amount__gte=0) & Q(annual_amount__lte=Decimal("5000000.00")),
                name="budget_amount_in_range",
            ),
            models.CheckConstraint(
                condition=Q(adjustment=0) | ~Q(adjustment_reason=""), name="budget_adjustment_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(adjustment__gte=-MAX_AMOUNT) & Q(adjustment__lte=MAX_AMOUNT),
                name="budget_adjustment_in_range",
            ),
            models.CheckConstraint(
                condition=Q(sign_off__in=list(SignOff.UNDECIDED))
                | (Q(signed_off_by__isnull=False) & Q(signed_off_at__isnull=False)),
                name="budget_sign_off_has_who_when",
            ),
        ]
        indexes = [
            # The sign-off queue: only the few versions waiting, oldest first.
            models.Index(
                fields=["created_at", "id"], condition=Q(sign_off="awaiting"), name="budget_awaiting_sign_off"
            ),
        ]

    def __str__(self):
        return f"Indicative budget {self.number} for {self.person}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("A budget version cannot be changed. Calculate a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("A budget version cannot be deleted.")
