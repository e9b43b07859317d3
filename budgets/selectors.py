"""Reads for assessments and budgets, each carrying the joins its page needs."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Prefetch, QuerySet, Subquery

from budgets import calculate
from budgets.models import Assessment, AssessmentNeed, BudgetVersion, CurrentService, SignOff, Tariff
from eligibility.selectors import is_eligible
from people.models import Person


@dataclass(frozen=True)
class Worksheet:
    """Both calculations for an assessment on a date, before anything is chosen or saved."""

    needs: dict[calculate.Domain, calculate.NeedLevel]
    services: tuple[calculate.ServiceInput, ...]
    tariff: Tariff | None
    costed: calculate.CostedResult
    ras: calculate.RasResult | None
    flags: tuple[calculate.Flag, ...]
    inputs: dict


def tariff_in_force(*, on: datetime.date) -> Tariff | None:
    return Tariff.objects.filter(effective_from__lte=on).order_by("-effective_from").first()


def tariff_input(tariff: Tariff) -> calculate.TariffInput:
    return calculate.TariffInput(
        price_per_point=tariff.price_per_point,
        points={
            calculate.Domain(d): {calculate.NeedLevel(level): int(p) for level, p in levels.items()}
            for d, levels in tariff.points.items()
        },
    )


def _budgets_locking(assessment_pk) -> QuerySet[BudgetVersion]:
    """Budgets worked out from the assessment that the person may be told: signed off, or needing no sign-off."""
    return BudgetVersion.objects.filter(assessment_id=assessment_pk, sign_off__in=SignOff.USABLE).order_by("number")


# assessment_with_details reads the first budget that locks the assessment in the same query, as this attribute.
LOCKED_BY = "locked_by_budget"


def assessment_with_details(pk) -> QuerySet[Assessment]:
    return (
        Assessment.objects.filter(pk=pk)
        .select_related("person", "person__care_team", "assessor")
        .annotate(**{LOCKED_BY: Subquery(_budgets_locking(OuterRef("pk")).values("number")[:1])})
        .prefetch_related(Prefetch("needs", queryset=AssessmentNeed.objects.order_by("id")), "services")
    )


def assessment_locked_reason(assessment: Assessment, *, fresh: bool = False) -> str | None:
    """Why this assessment can no longer be changed, in plain words; None while it can.

    The one rule for changing an assessment (its details, needs and services): once a budget worked out from it
    has been signed off, or needed no sign-off so the person may be told it, the assessment is the record that
    budget rests on and stays as it was. Needs that have changed are a new assessment. Pages read what
    assessment_with_details annotated (no query); services ask the database again (fresh).
    """
    if fresh or not hasattr(assessment, LOCKED_BY):
        number = _budgets_locking(assessment.pk).values_list("number", flat=True).first()
    else:
        number = getattr(assessment, LOCKED_BY)
    if number is None:
        return None
    return (
        f"This assessment cannot be changed because indicative budget {number} was worked out from it and the "
        "person can be told it. To record needs or services that have changed, start a new assessment."
    )


def service_input(service: CurrentService) -> calculate.ServiceInput:
    """A current service as the arithmetic takes it."""
    return calculate.ServiceInput(
        name=service.name,
        funding=calculate.FundingSource(service.funding),
        unit_cost=service.unit_cost,
        units=service.units,
        period=calculate.Period(service.period),
        unit_kind=calculate.UnitKind(service.unit_kind),
    )


def worksheet_for(*, assessment: Assessment, on: datetime.date) -> Worksheet:
    needs = {calculate.Domain(n.domain): calculate.NeedLevel(n.level) for n in assessment.needs.all()}
    services = tuple(service_input(s) for s in assessment.services.all())
    tariff = tariff_in_force(on=on)
    costed = calculate.costed(services)
    ras = calculate.ras(needs, tariff_input(tariff)) if tariff else None
    flags = calculate.flags(
        costed_result=costed,
        ras_result=ras,
        needs=needs,
        final_annual=None,
        low_budget_floor=settings.BUDGET_LOW_FLOOR,
    )
    inputs = {
        "needs": {d.value: level.value for d, level in needs.items()},
        "services": [
            {
                "name": s.name,
                "funding": s.funding.value,
                "unit_cost": str(s.unit_cost),
                "units": str(s.units),
                "unit_kind": s.unit_kind.value,
                "period": s.period.value,
            }
            for s in services
        ],
        "tariff": (
            {
                "effective_from": tariff.effective_from.isoformat(),
                "price_per_point": str(tariff.price_per_point),
                "points": tariff.points,
            }
            if tariff
            else None
        ),
    }
    return Worksheet(
        needs=needs, services=services, tariff=tariff, costed=costed, ras=ras, flags=tuple(flags), inputs=inputs
    )


def assessments_for(*, person: Person) -> QuerySet[Assessment]:
    return person.assessments.select_related("assessor").order_by("-assessed_on", "-created_at")


def budget_versions_for(*, person: Person) -> QuerySet[BudgetVersion]:
    return person.budget_versions.select_related("created_by", "signed_off_by").order_by("-number")


# The person page keeps the latest budget it showed on the person object (None: they have none), so the
# support plan panel can ask whether a plan can be started on it without reading it again.
LATEST_BUDGET_MEMO = "_phb_latest_budget"


def latest_budget_shown(person: Person):
    """The latest budget the page already read (None if none), or NOT_READ."""
    return getattr(person, LATEST_BUDGET_MEMO, NOT_READ)


NOT_READ = object()


# What the person page shows of the latest budget (and budget_unusable_reason reads).
BUDGET_SHOWN = ("pk", "number", "annual_amount", "sign_off")


def latest_assessment_and_budget(*, person: Person) -> tuple[Assessment | None, BudgetVersion | None]:
    """The person's latest assessment and latest budget version, for their page, in one query whatever they
    have: the latest assessment carries the latest budget's fields (a budget is always worked out from an
    assessment, so no assessment means no budget). The budget is built from those fields only."""
    latest_budget = person.budget_versions.order_by("-number")
    assessment = (
        assessments_for(person=person)
        .annotate(**{f"budget_{name}": Subquery(latest_budget.values(name)[:1]) for name in BUDGET_SHOWN})
        .first()
    )
    budget = None
    if assessment is not None and assessment.budget_pk is not None:
        budget = BudgetVersion(person=person, **{name: getattr(assessment, f"budget_{name}") for name in BUDGET_SHOWN})
    setattr(person, LATEST_BUDGET_MEMO, budget)
    return assessment, budget


def latest_budgets(queryset: QuerySet[BudgetVersion] | None = None) -> QuerySet[BudgetVersion]:
    """Only each person's newest budget version: a newer calculation makes the older ones history."""
    newer = BudgetVersion.objects.filter(person_id=OuterRef("person_id"), number__gt=OuterRef("number"))
    return (BudgetVersion.objects.all() if queryset is None else queryset).exclude(Exists(newer))


def is_latest_budget(version: BudgetVersion) -> bool:
    """Whether no newer budget has been worked out for the person (one query)."""
    return latest_budgets(BudgetVersion.objects.filter(pk=version.pk)).exists()


def sign_off_queue() -> QuerySet[BudgetVersion]:
    """Budgets waiting for sign-off, oldest first; one superseded by a newer calculation is not waiting."""
    return (
        latest_budgets(BudgetVersion.objects.filter(sign_off=SignOff.AWAITING))
        .select_related("person", "person__care_team", "created_by")
        .defer("inputs", "costed_lines", "ras_lines", "flags")  # the workings: only the budget's page needs them
        .order_by("created_at", "id")
    )


def sign_off_words(version: BudgetVersion) -> str:
    """Where the budget stands with PHB team sign-off, for staff; when none is needed, why not (the same limits
    that decided it, from settings)."""
    if version.sign_off == SignOff.NOT_NEEDED:
        return calculate.no_sign_off_words(
            share=settings.BUDGET_SIGN_OFF_ADJUSTMENT_SHARE, ceiling=settings.BUDGET_SIGN_OFF_ABOVE
        )
    return version.get_sign_off_display()


def budget_unusable_reason(version: BudgetVersion, *, known_latest: bool = False) -> str | None:
    """Why this budget cannot be used, in plain words for staff; None if it can.

    The one rule for using a budget: telling the person, producing the letter,
    starting a plan on it, showing it in the portal. It must be the person's
    latest version, signed off by the PHB team or not needing sign-off, and the
    person must be eligible now. usable_budgets is the same rule as a queryset.
    known_latest: the caller read it as the person's latest (no query to check).
    """
    if version.sign_off == SignOff.SUPERSEDED or (not known_latest and not is_latest_budget(version)):
        return "A newer budget has been worked out for this person. Use that one instead."
    if version.sign_off == SignOff.RETURNED:
        return "The PHB team returned this budget, so it cannot be used. Work out a new budget."
    if version.sign_off not in SignOff.USABLE:
        return "The PHB team must sign off this budget before the person is told or a plan is started."
    if not is_eligible(person=version.person):
        return "This person is not eligible for a personal health budget now. Check their latest screening."
    return None


def usable_budgets(*, person: Person) -> QuerySet[BudgetVersion]:
    """The person's budget that can be used, as a queryset: at most one, their latest.

    Two queries whatever the number of versions: eligibility now, the versions when read.
    """
    if not is_eligible(person=person):
        return BudgetVersion.objects.none()
    return usable_if_eligible().filter(person=person).select_related("person")


def latest_sign_off(person: str = "pk") -> Subquery:
    """The sign-off of a person's latest budget version, as an expression on a query of people (`person`: the
    path to the person's id there). The same rule as usable_if_eligible and sign_off_queue for one person:
    their latest version, usable when its sign-off is in SignOff.USABLE, waiting when it is AWAITING; as one
    correlated subquery (the person's versions by number, newest first, through the (person, number) index)
    rather than EXISTS over every person's latest version, which PostgreSQL builds as a hash of the whole
    table for a list of people."""
    latest = BudgetVersion.objects.filter(person_id=OuterRef(person)).order_by("-number").values("sign_off")[:1]
    return Subquery(latest, output_field=CharField())


def usable_if_eligible() -> QuerySet[BudgetVersion]:
    """Every person's budget that can be used if they are eligible now: their latest version, signed off or
    needing no sign-off. The rule above without the eligibility half, for a list of people that asks
    eligibility in the same query (eligibility.models.eligible_q)."""
    return latest_budgets(BudgetVersion.objects.filter(sign_off__in=SignOff.USABLE))
