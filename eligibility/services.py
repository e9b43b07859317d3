"""Writes for screenings: saving a screening, and the PHB team's decision on a referral."""

import datetime
from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from eligibility import rules, selectors
from eligibility.models import Decision, IPCCohort, Screening
from people.access import persons_writable_by
from people.models import Person
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.roles import is_phb_team
from phb.words import date_and_time, lower_first


class AlreadyDecidedError(ServiceError):
    def __init__(self, screening: Screening):
        who = screening.decided_by.display_name if screening.decided_by else "someone else"
        when = date_and_time(screening.decided_at)
        decision = lower_first(screening.get_decision_display())
        super().__init__(f"{who} already decided this screening on {when}: {decision}.")


def facts_for(
    *,
    person: Person,
    funding: str,
    hospital_inpatient: bool,
    section_117: str,
    wheelchair: bool,
    commissioned_package: bool,
    block_contract_services: list[str],
    cohorts: list[IPCCohort],
    on: datetime.date,
) -> rules.Facts:
    """The plain facts the rules read, from a person and the coordinator's answers."""
    return rules.Facts(
        date_of_birth=person.date_of_birth,
        funding=rules.Funding(funding),
        # Being an inpatient only matters to the continuing care routes.
        hospital_inpatient=hospital_inpatient and funding != rules.Funding.NONE,
        section_117=rules.Section117(section_117),
        wheelchair=wheelchair,
        commissioned_package=commissioned_package,
        block_contract_services=tuple(block_contract_services) if commissioned_package else (),
        cohorts=tuple(
            rules.Cohort(
                code=c.code,
                name=c.name,
                needs_decision=c.needs_decision,
                retired=c.retired_on is not None and c.retired_on <= on,
            )
            for c in cohorts
        ),
    )


@transaction.atomic
def screening_create(
    *,
    person: Person,
    screened_on: datetime.date,
    funding: str,
    hospital_inpatient: bool,
    section_117: str,
    wheelchair: bool,
    commissioned_package: bool,
    package_description: str = "",
    block_contract_services: list[str] | None = None,
    cohorts: list[IPCCohort] | None = None,
    acting_user,
) -> Screening:
    """Screens a person and keeps the result. Earlier screenings stay as history."""
    if not persons_writable_by(acting_user).filter(pk=person.pk).exists():
        raise ServiceError("Only a care coordinator in the person's care team can screen them.")
    cohorts = list(cohorts or [])
    block_contract_services = [s.strip() for s in (block_contract_services or []) if s.strip()]
    facts = facts_for(
        person=person,
        funding=funding,
        hospital_inpatient=hospital_inpatient,
        section_117=section_117,
        wheelchair=wheelchair,
        commissioned_package=commissioned_package,
        block_contract_services=block_contract_services,
        cohorts=cohorts,
        on=screened_on,
    )
    problems = rules.problems(facts, on=screened_on, today=timezone.localdate())
    if problems:
        raise ValidationError(problems)
    result = rules.screen(facts, on=screened_on)
    screening = Screening(
        person=person,
        screened_on=screened_on,
        funding=funding,
        hospital_inpatient=facts.hospital_inpatient,
        section_117=section_117,
        wheelchair=wheelchair,
        commissioned_package=commissioned_package,
        package_description=package_description.strip() if commissioned_package else "",
        block_contract_services=list(facts.block_contract_services),
        outcome=result.outcome.value,
        route=result.route.value,
        reasons=list(result.reasons),
        next_steps=list(result.next_steps),
        findings=[{k: str(v) for k, v in asdict(f).items()} for f in result.findings],
        decision=Decision.AWAITING if result.outcome == rules.Outcome.REFERRED else Decision.NOT_NEEDED,
        created_by=acting_user,
    )
    screening.full_clean()
    screening.save()
    screening.cohorts.set(cohorts)
    selectors.forget_screenings(person)
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=screening,
        person_id=person.pk,
        summary=f"Screened: {result.outcome.label} ({result.route.label})",
        changes={
            "outcome": [None, result.outcome.value],
            "route": [None, result.route.value],
            "cohorts": [None, [c.code for c in cohorts]],
        },
    )
    return screening


@transaction.atomic
def screening_decide(*, screening: Screening, approve: bool, reason: str, acting_user) -> Screening:
    """The PHB team's decision on a referral. Exactly one decision is ever recorded."""
    if not is_phb_team(acting_user):
        raise ServiceError("Only the PHB team can decide on a referral.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for your decision"})
    decision = Decision.APPROVED if approve else Decision.DECLINED
    now = timezone.now()
    # Compare-and-swap: of two people deciding at once, only one update finds
    # the screening still awaiting a decision.
    updated = Screening.objects.filter(pk=screening.pk, decision=Decision.AWAITING).update(
        decision=decision, decided_by=acting_user, decided_at=now, decision_reason=reason
    )
    if not updated:
        current = Screening.objects.select_related("decided_by").get(pk=screening.pk)
        if current.decision in {Decision.APPROVED, Decision.DECLINED}:
            raise AlreadyDecidedError(current)
        raise ServiceError("This screening does not need a PHB team decision.")
    screening.refresh_from_db()
    if "person" in screening._state.fields_cache:
        selectors.forget_screenings(screening.person)
    audit.record(
        actor=acting_user,
        action=AuditAction.DECIDE,
        obj=screening,
        person_id=screening.person_id,
        summary=f"Referral {lower_first(decision.label)}",
        changes={"decision": [Decision.AWAITING.value, decision.value], "decision_reason": [None, reason]},
    )
    return screening


def screening_record_view(*, screening: Screening, acting_user, page: str = "screening") -> None:
    audit.record(
        actor=acting_user,
        action=AuditAction.VIEW,
        obj=screening,
        person_id=screening.person_id,
        summary=f"Viewed {page}",
    )
