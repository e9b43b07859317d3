"""Writes for assessments, current services, tariffs and indicative budget versions.

Each service checks who is acting, validates, writes and audits in one transaction.
"""

import datetime
from dataclasses import asdict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from budgets import calculate
from budgets.models import Assessment, AssessmentNeed, BudgetVersion, CurrentService, SignOff, Tariff
from budgets.selectors import (
    Worksheet,
    assessment_locked_reason,
    budget_unusable_reason,
    is_latest_budget,
    worksheet_for,
)
from eligibility.selectors import is_eligible
from people.access import persons_writable_by
from people.models import NoticeKind, Person
from people.notices import notice_write
from people.services import person_set_engagement_support
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.roles import Role, has_role, is_phb_team
from phb.services import audited_update, claim_current
from phb.words import date_and_time, long_date, lower_first

ASSESSMENT_FIELDS = ["assessed_on", "assessor", "participants", "engagement_support", "engagement_note"]
SERVICE_FIELDS = ["name", "provider", "service_type", "funding", "unit_cost", "units", "unit_kind", "period"]


def _require_coordinator_for(person: Person, acting_user) -> None:
    if not persons_writable_by(acting_user).filter(pk=person.pk).exists():
        raise ServiceError("Only a care coordinator in the person's care team can do this.")


def _require_changeable(assessment: Assessment) -> None:
    """Refuses a change to an assessment a budget the person can be told rests on. Locks the person first, as
    working out a budget and signing one off do, so a budget cannot become usable while the change is made."""
    Person.objects.select_for_update().get(pk=assessment.person_id)
    reason = assessment_locked_reason(assessment, fresh=True)
    if reason:
        raise ServiceError(reason)


def _check_assessment_date(person: Person, assessed_on: datetime.date) -> None:
    if assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": "Date of assessment must be today or in the past"})
    if assessed_on < person.date_of_birth:
        raise ValidationError({"assessed_on": "Date of assessment must be on or after the person's date of birth"})


def _save_needs(assessment: Assessment, needs: dict[str, tuple[str, str]]) -> dict:
    """Writes one need per domain; returns {domain: [before, after]} for the audit trail."""
    missing = [d for d in calculate.Domain if d.value not in needs]
    if missing:
        raise ValidationError(
            {f"level_{d.value}": f"Select the level of need for {calculate.DOMAIN_LABELS[d]}" for d in missing}
        )
    existing = {n.domain: n for n in assessment.needs.all()}
    changes = {}
    for domain in calculate.Domain:
        level, own_words = needs[domain.value]
        need = existing.get(domain.value) or AssessmentNeed(assessment=assessment, domain=domain.value)
        before = (need.level, need.own_words) if need.pk else (None, None)
        need.level, need.own_words = level, (own_words or "").strip()
        need.full_clean()
        need.save()
        if before != (need.level, need.own_words):
            changes[f"need.{domain.value}"] = [before[0], need.level]
    return changes


@transaction.atomic
def assessment_create(*, person: Person, needs: dict[str, tuple[str, str]], acting_user, **values) -> Assessment:
    """Records an assessment of an eligible person, with a level of need in every domain."""
    _require_coordinator_for(person, acting_user)
    if not is_eligible(person=person):
        raise ServiceError(
            "This person is not eligible for a personal health budget. Screen them first, "
            "or wait for the PHB team's decision on their referral."
        )
    _check_assessment_date(person, values["assessed_on"])
    assessment = Assessment(person=person, created_by=acting_user, updated_by=acting_user, **values)
    assessment.full_clean()
    assessment.save()
    changes = audit.diff({}, audit.snapshot(assessment, ASSESSMENT_FIELDS))
    changes.update(_save_needs(assessment, needs))
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=assessment,
        person_id=person.pk,
        summary="Recorded an assessment",
        changes=changes,
    )
    latest = person.assessments.order_by("-assessed_on", "-created_at").first()
    if latest.pk == assessment.pk:
        person_set_engagement_support(
            person=person, level=assessment.engagement_support, source="assessment", acting_user=acting_user
        )
    return assessment


@transaction.atomic
def assessment_update(
    *, assessment: Assessment, expected_version: int, needs: dict[str, tuple[str, str]], acting_user, **values
) -> Assessment:
    person = assessment.person
    _require_coordinator_for(person, acting_user)
    _require_changeable(assessment)
    current = audited_update(
        queryset=Assessment.objects,
        pk=assessment.pk,
        expected_version=expected_version,
        values=values,
        fields=ASSESSMENT_FIELDS,
        acting_user=acting_user,
        person_id=person.pk,
        summary="Changed the assessment",
        noun="assessment",
        check=lambda _: _check_assessment_date(person, values["assessed_on"]),
        after_save=lambda saved: _save_needs(saved, needs),
    )
    latest = person.assessments.order_by("-assessed_on", "-created_at").first()
    if latest and latest.pk == current.pk:
        person_set_engagement_support(
            person=person, level=current.engagement_support, source="assessment", acting_user=acting_user
        )
    return current


def _check_service(values: dict) -> None:
    problems = calculate.service_problems(
        calculate.ServiceInput(
            name=values["name"],
            funding=calculate.FundingSource(values["funding"]),
            unit_cost=values["unit_cost"],
            units=values["units"],
            period=calculate.Period(values["period"]),
            unit_kind=calculate.UnitKind(values["unit_kind"]),
        )
    )
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def current_service_add(*, assessment: Assessment, acting_user, **values) -> CurrentService:
    _require_coordinator_for(assessment.person, acting_user)
    _require_changeable(assessment)
    if assessment.services.count() >= calculate.MAX_SERVICES:
        raise ServiceError(
            f"An assessment can record up to {calculate.MAX_SERVICES} services. "
            "Remove one that is no longer used first."
        )
    _check_service(values)
    service = CurrentService(assessment=assessment, created_by=acting_user, updated_by=acting_user, **values)
    service.full_clean()
    service.save()
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=service,
        person_id=assessment.person_id,
        summary=f"Added current service {service.name}",
        changes=audit.diff({}, audit.snapshot(service, SERVICE_FIELDS)),
    )
    return service


@transaction.atomic
def current_service_update(*, service: CurrentService, expected_version: int, acting_user, **values) -> CurrentService:
    _require_coordinator_for(service.assessment.person, acting_user)
    _require_changeable(service.assessment)
    _check_service(values)
    return audited_update(
        queryset=CurrentService.objects,
        pk=service.pk,
        expected_version=expected_version,
        values=values,
        fields=SERVICE_FIELDS,
        acting_user=acting_user,
        person_id=service.assessment.person_id,
        summary=lambda current, changes: f"Changed current service {current.name}",
        noun="service",
    )


@transaction.atomic
def current_service_remove(*, service: CurrentService, expected_version: int, acting_user) -> None:
    """Removes a service recorded by mistake. Budget versions keep their own copy of it."""
    _require_coordinator_for(service.assessment.person, acting_user)
    _require_changeable(service.assessment)
    current = claim_current(CurrentService.objects, pk=service.pk, expected_version=expected_version, noun="service")
    before = audit.snapshot(current, SERVICE_FIELDS)
    audit.record(
        actor=acting_user,
        action=AuditAction.UPDATE,
        obj=service.assessment,
        person_id=service.assessment.person_id,
        summary=f"Removed current service {service.name}",
        changes={f"service.{name}": [value, None] for name, value in before.items()},
    )
    CurrentService.objects.filter(pk=service.pk).delete()


def _lines(lines) -> list[dict]:
    return [{**asdict(line), "amount": str(line.amount)} for line in lines]


@transaction.atomic
def budget_version_create(
    *,
    assessment: Assessment,
    method: str,
    adjustment: Decimal,
    adjustment_reason: str,
    council_share_means_tested: bool,
    acting_user,
    on: datetime.date | None = None,
) -> BudgetVersion:
    """Calculates the indicative budget from the assessment as it is now and keeps it as a new version."""
    person = assessment.person
    _require_coordinator_for(person, acting_user)
    if not is_eligible(person=person):
        raise ServiceError(
            "This person is not eligible for a personal health budget now, so a budget cannot be worked out. "
            "Check their latest screening."
        )
    # Locks the person so two calculations at once get different numbers.
    Person.objects.select_for_update().get(pk=person.pk)
    on = on or timezone.localdate()
    sheet: Worksheet = worksheet_for(assessment=assessment, on=on)
    adjustment_reason = (adjustment_reason or "").strip()
    if adjustment and not adjustment_reason:
        raise ValidationError({"adjustment_reason": "Enter the reason for the adjustment"})
    try:
        base, explanation = calculate.choose(
            calculate.Method(method), costed_total=sheet.costed.total, ras_total=sheet.ras.total if sheet.ras else None
        )
    except ValueError as error:
        raise ValidationError({"method": str(error)}) from None
    annual = base + adjustment
    if annual < 0:
        raise ValidationError({"adjustment": "The adjustment cannot make the budget less than £0"})
    if annual > calculate.MAX_ANNUAL:
        raise ValidationError({"adjustment": "The budget cannot be more than £5,000,000 a year. Check the figures"})
    reasons = calculate.sign_off_reasons(
        base=base,
        adjustment=adjustment,
        share=settings.BUDGET_SIGN_OFF_ADJUSTMENT_SHARE,
        ceiling=settings.BUDGET_SIGN_OFF_ABOVE,
    )
    flags = calculate.flags(
        costed_result=sheet.costed,
        ras_result=sheet.ras,
        needs=sheet.needs,
        final_annual=annual,
        low_budget_floor=settings.BUDGET_LOW_FLOOR,
    )
    number = (person.budget_versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = BudgetVersion(
        person=person,
        number=number,
        assessment=assessment,
        calculated_on=on,
        tariff=sheet.tariff,
        inputs=sheet.inputs,
        costed_total=sheet.costed.total,
        ras_total=sheet.ras.total if sheet.ras else None,
        costed_lines=_lines(sheet.costed.lines),
        ras_lines=_lines(sheet.ras.lines) if sheet.ras else [],
        flags=[asdict(flag) for flag in flags],
        method=method,
        method_explanation=explanation,
        base_amount=base,
        adjustment=adjustment,
        adjustment_reason=adjustment_reason,
        annual_amount=annual,
        council_share=sheet.costed.council_share,
        council_share_means_tested=council_share_means_tested,
        sign_off=SignOff.AWAITING if reasons else SignOff.NOT_NEEDED,
        sign_off_reasons=reasons,
        created_by=acting_user,
    )
    version.full_clean()
    version.save()
    replaced = supersede_awaiting(BudgetVersion.objects.filter(person=person, number__lt=number))
    changes = {
        "annual_amount": [None, str(annual)],
        "method": [None, method],
        "adjustment": [None, str(adjustment)],
        "sign_off": [None, version.sign_off],
    }
    if replaced:
        changes["replaced_before_sign_off"] = [None, replaced]
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=version,
        person_id=person.pk,
        summary=f"Calculated indicative budget {number}: £{annual:,} a year",
        changes=changes,
    )
    _tell_person_if_usable(version)
    return version


def _tell_person_if_usable(version: BudgetVersion) -> None:
    """Once a budget may be told to the person (no sign-off needed, or signed off), they are told it has been
    worked out, the way they chose (people.notices); once for each budget version."""
    if budget_unusable_reason(version, known_latest=True) is None:
        notice_write(person=version.person, kind=NoticeKind.BUDGET_TOLD, about=version.pk)


def supersede_awaiting(versions) -> list[int]:
    """Budgets still waiting for sign-off once a newer one exists for the person leave the PHB team's queue:
    they become SUPERSEDED (nobody signs them off now). Returns the numbers changed. Used when a budget is
    worked out, and by seed_scale for the data it writes."""
    newer = BudgetVersion.objects.filter(person_id=OuterRef("person_id"), number__gt=OuterRef("number"))
    waiting = versions.filter(sign_off=SignOff.AWAITING).filter(Exists(newer))
    numbers = sorted(waiting.values_list("number", flat=True))
    waiting.update(sign_off=SignOff.SUPERSEDED)
    return numbers


class AlreadySignedOffError(ServiceError):
    pass


@transaction.atomic
def budget_version_sign_off(*, version: BudgetVersion, approve: bool, note: str, acting_user) -> BudgetVersion:
    """The PHB team signs off (or returns) a budget that needed it, once, and never their own."""
    if not is_phb_team(acting_user):
        raise ServiceError("Only the PHB team can sign off a budget.")
    if version.created_by_id == acting_user.pk:
        raise ServiceError("You calculated this budget, so someone else in the PHB team must sign it off.")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": "Enter the reason for returning the budget"})
    # The person first, as changing an assessment does: a sign-off locks the assessment it rests on.
    Person.objects.select_for_update().get(pk=version.person_id)
    if not is_latest_budget(version):
        raise ServiceError("A newer budget has been worked out for this person. Sign off that one instead.")
    status = SignOff.SIGNED_OFF if approve else SignOff.RETURNED
    updated = BudgetVersion.objects.filter(pk=version.pk, sign_off=SignOff.AWAITING).update(
        sign_off=status, signed_off_by=acting_user, signed_off_at=timezone.now(), sign_off_note=note
    )
    if not updated:
        current = BudgetVersion.objects.select_related("signed_off_by").get(pk=version.pk)
        if current.signed_off_by:
            when = date_and_time(current.signed_off_at)
            raise AlreadySignedOffError(
                f"{current.signed_off_by.display_name} already dealt with this budget on {when}: "
                f"{lower_first(current.get_sign_off_display())}."
            )
        raise ServiceError("This budget does not need sign-off.")
    version = BudgetVersion.objects.get(pk=version.pk)
    audit.record(
        actor=acting_user,
        action=AuditAction.SIGN_OFF,
        obj=version,
        person_id=version.person_id,
        summary=f"Budget {version.number} {lower_first(status.label)}",
        changes={"sign_off": [SignOff.AWAITING.value, status.value], "sign_off_note": [None, note]},
    )
    _tell_person_if_usable(version)
    return version


TARIFF_FIELDS = ["effective_from", "price_per_point", "points", "notes"]


def _check_tariff(values: dict) -> None:
    problems = calculate.tariff_problems(
        calculate.TariffInput(
            price_per_point=values["price_per_point"],
            points={
                calculate.Domain(d): {calculate.NeedLevel(level): p for level, p in levels.items()}
                for d, levels in values["points"].items()
            },
        )
    )
    if problems:
        raise ValidationError(
            {("points_" + key.replace(".", "_") if "." in key else key): message for key, message in problems.items()}
        )


@transaction.atomic
def tariff_create(*, acting_user, **values) -> Tariff:
    if not has_role(acting_user, Role.LEAD):
        raise ServiceError("Only the PHB team lead can set tariffs.")
    _check_tariff(values)
    tariff = Tariff(created_by=acting_user, updated_by=acting_user, **values)
    tariff.full_clean()
    tariff.save()
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=tariff,
        summary=f"Set up the tariff from {tariff.effective_from}",
        changes=audit.diff({}, audit.snapshot(tariff, TARIFF_FIELDS)),
    )
    return tariff


@transaction.atomic
def tariff_update(*, tariff: Tariff, expected_version: int, acting_user, **values) -> Tariff:
    """Changes a tariff. Saved budget versions keep the copy they used, so they never change."""
    if not has_role(acting_user, Role.LEAD):
        raise ServiceError("Only the PHB team lead can change tariffs.")
    return audited_update(
        queryset=Tariff.objects,
        pk=tariff.pk,
        expected_version=expected_version,
        values=values,
        fields=TARIFF_FIELDS,
        acting_user=acting_user,
        summary=lambda current, changes: f"Changed the tariff from {long_date(current.effective_from)}",
        noun="tariff",
        check=lambda _: _check_tariff(values),
    )
