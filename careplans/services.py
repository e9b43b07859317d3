"""Writes for support plans. Every change to a draft names the revision it started from,
so two people editing the same draft never overwrite each other silently."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from budgets.models import BudgetVersion
from budgets.selectors import budget_unusable_reason
from careplans import lifecycle, rules
from careplans.models import Outcome, PlanEvent, PlanVersion, Status, SupportItem, SupportPlan
from careplans.selectors import budgets_to_start_on, snapshot, version_with_details
from eligibility.selectors import is_eligible
from people.access import persons_writable_by
from people.models import Person
from phb import audit
from phb.errors import ServiceError, StaleRecordError
from phb.models import AuditAction
from phb.words import lower_first

PLAN_FIELDS = list(PlanVersion.CONTENT_FIELDS)
OUTCOME_FIELDS = ["domain", "goal", "measure", "target_date"]
ITEM_FIELDS = [
    "description",
    "provider",
    "category",
    "unit_cost",
    "quantity",
    "frequency",
    "money_option",
    "third_party_organisation",
]


class NotEditableError(ServiceError):
    def __init__(self, version: PlanVersion):
        super().__init__(
            f"Version {version.number} of this plan is {lower_first(version.get_status_display())}, so it cannot be "
            "changed. To change an agreed plan, start a new version."
        )


def _require_coordinator_for(person: Person, acting_user) -> None:
    if not persons_writable_by(acting_user).filter(pk=person.pk).exists():
        raise ServiceError("Only a care coordinator in the person's care team can change this plan.")


def _claim_draft(version: PlanVersion, expected_revision: int, acting_user) -> None:
    """Compare-and-swap on the draft's revision: refuses a stale form or a version that is no longer a draft."""
    updated = PlanVersion.objects.filter(pk=version.pk, revision=expected_revision, status=Status.DRAFT).update(
        revision=F("revision") + 1, updated_by=acting_user, updated_at=timezone.now()
    )
    if updated:
        return
    current = PlanVersion.objects.select_related("updated_by").get(pk=version.pk)
    if current.status != Status.DRAFT:
        raise NotEditableError(current)
    raise StaleRecordError(
        noun="plan", changed_by=current.updated_by.display_name, changed_at=timezone.localtime(current.updated_at)
    )


def record_event(
    version: PlanVersion, *, from_status: str, to_status: str, acting_user, reason: str = "", kind: str = ""
) -> PlanEvent:
    """A line of the plan's timeline: a change of status (by default), or another kind of event."""
    return PlanEvent.objects.create(
        plan_version=version,
        actor=acting_user,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        **({"kind": kind} if kind else {}),
    )


@transaction.atomic
def plan_start(*, person: Person, budget_version: BudgetVersion, acting_user) -> PlanVersion:
    """Starts a plan for an eligible person on an indicative budget they have been told."""
    _require_coordinator_for(person, acting_user)
    if not is_eligible(person=person):
        raise ServiceError("This person is not eligible for a personal health budget, so a plan cannot be started.")
    if budget_version.person_id != person.pk:
        raise ValidationError({"budget_version": "Choose one of this person's indicative budgets"})
    problem = budget_unusable_reason(budget_version)
    if problem:
        raise ValidationError({"budget_version": problem})
    # Locks the person: a double click starts one plan, not two.
    Person.objects.select_for_update().get(pk=person.pk)
    if not budgets_to_start_on(person=person).filter(pk=budget_version.pk).exists():
        if PlanVersion.objects.filter(budget_version=budget_version, status__in=Status.LIVE).exists():
            raise ServiceError("There is already a plan for this indicative budget. Open it from the person's page.")
        raise ServiceError(
            f"{person.full_name} already has a support plan that is still going. Change that plan with a new "
            "version, or end it, before starting another."
        )
    plan = SupportPlan.objects.create(person=person, created_by=acting_user)
    version = PlanVersion.objects.create(
        plan=plan,
        number=1,
        budget_version=budget_version,
        care_coordinator=person.lead_coordinator or acting_user,
        helped_by=acting_user.display_name,
        created_by=acting_user,
        updated_by=acting_user,
    )
    record_event(version, from_status="", to_status=Status.DRAFT, acting_user=acting_user, reason="Plan started")
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=version,
        person_id=person.pk,
        summary=f"Started a support plan on indicative budget {budget_version.number}",
        changes={"budget_version": [None, str(budget_version.pk)]},
    )
    return version


def _check_dates(version: PlanVersion) -> None:
    errors = {}
    if version.start_date and version.first_review_date and version.first_review_date <= version.start_date:
        errors["first_review_date"] = "Date of the first review must be after the start date"
    if version.agreed_on and version.agreed_on > timezone.localdate():
        errors["agreed_on"] = "Date agreed must be today or in the past"
    if version.dp_amount is not None and version.dp_amount <= 0:
        errors["dp_amount"] = "Amount of each payment must be more than £0"
    if version.dp_recipient and not version.dp_recipient_name.strip():
        errors["dp_recipient_name"] = "Enter the name of the person who receives the direct payment"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def plan_update(*, version: PlanVersion, expected_revision: int, acting_user, **values) -> PlanVersion:
    lifecycle.check(lifecycle.Action.EDIT, version, acting_user)
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"Not plan fields: {sorted(unknown)}")
    current = PlanVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
    before = audit.snapshot(current, PLAN_FIELDS)
    for name, value in values.items():
        setattr(current, name, value)
    _check_dates(current)  # first, so these answers get their own words rather than the model's
    current.full_clean(exclude=["revision", "updated_by"])
    if current.start_date:
        for outcome in current.outcomes.all():
            if outcome.target_date and outcome.target_date < current.start_date:
                raise ValidationError(
                    {"start_date": f"The outcome '{outcome.goal[:40]}' has a target date before this start date"}
                )
    _claim_draft(current, expected_revision, acting_user)
    PlanVersion.objects.filter(pk=current.pk).update(**values)
    changes = audit.diff(before, audit.snapshot(current, PLAN_FIELDS))
    audit.record(
        actor=acting_user,
        action=AuditAction.UPDATE,
        obj=current,
        person_id=version.plan.person_id,
        summary=f"Changed the plan: {audit.fields_in_words(PlanVersion, changes) or 'nothing'}",
        changes=changes,
    )
    return PlanVersion.objects.get(pk=current.pk)


def _check_outcome(version: PlanVersion, values: dict) -> None:
    target = values.get("target_date")
    if target and version.start_date and target < version.start_date:
        raise ValidationError({"target_date": "Target date must be on or after the plan's start date"})


@transaction.atomic
def outcome_save(
    *, version: PlanVersion, expected_revision: int, acting_user, outcome: Outcome | None = None, **values
) -> Outcome:
    lifecycle.check(lifecycle.Action.EDIT, version, acting_user)
    _check_outcome(version, values)
    target = outcome or Outcome(plan_version=version)
    before = audit.snapshot(target, OUTCOME_FIELDS) if outcome else {}
    for name, value in values.items():
        setattr(target, name, value)
    target.full_clean()
    _claim_draft(version, expected_revision, acting_user)
    target.save()
    audit.record(
        actor=acting_user,
        action=AuditAction.UPDATE if outcome else AuditAction.CREATE,
        obj=target,
        person_id=version.plan.person_id,
        summary=f"{'Changed' if outcome else 'Added'} outcome",
        changes=audit.diff(before, audit.snapshot(target, OUTCOME_FIELDS)),
    )
    return target


@transaction.atomic
def item_save(
    *,
    version: PlanVersion,
    expected_revision: int,
    outcomes: list[Outcome],
    acting_user,
    item: SupportItem | None = None,
    **values,
) -> SupportItem:
    lifecycle.check(lifecycle.Action.EDIT, version, acting_user)
    if any(o.plan_version_id != version.pk for o in outcomes):
        raise ValidationError({"outcomes": "Choose outcomes from this plan"})
    if item is None and version.items.count() >= rules.MAX_ITEMS:
        raise ServiceError(f"A plan can have up to {rules.MAX_ITEMS} items. Remove one that is no longer needed first.")
    problems = rules.item_problems(
        rules.ItemSnapshot(
            key="",
            description=values["description"],
            unit_cost=values["unit_cost"],
            quantity=values["quantity"],
            frequency=rules.Frequency(values["frequency"]),
            money_option=rules.MoneyOption(values["money_option"]),
            third_party_organisation=values.get("third_party_organisation", ""),
        )
    )
    if problems:
        raise ValidationError(problems)
    if values["money_option"] != rules.MoneyOption.THIRD_PARTY:
        values["third_party_organisation"] = ""
    target = item or SupportItem(plan_version=version)
    before = audit.snapshot(target, ITEM_FIELDS) if item else {}
    for name, value in values.items():
        setattr(target, name, value)
    target.full_clean()
    _claim_draft(version, expected_revision, acting_user)
    target.save()
    target.outcomes.set(outcomes)
    changes = audit.diff(before, audit.snapshot(target, ITEM_FIELDS))
    changes["outcomes"] = [None, [str(o.pk) for o in outcomes]]
    audit.record(
        actor=acting_user,
        action=AuditAction.UPDATE if item else AuditAction.CREATE,
        obj=target,
        person_id=version.plan.person_id,
        summary=f"{'Changed' if item else 'Added'} support item {target.description}",
        changes=changes,
    )
    return target


@transaction.atomic
def row_remove(*, row: Outcome | SupportItem, expected_revision: int, acting_user) -> None:
    """Removes an outcome or an item from a draft."""
    version = row.plan_version
    lifecycle.check(lifecycle.Action.EDIT, version, acting_user)
    _claim_draft(version, expected_revision, acting_user)
    fields = OUTCOME_FIELDS if isinstance(row, Outcome) else ITEM_FIELDS
    audit.record(
        actor=acting_user,
        action=AuditAction.REMOVE,
        obj=version,
        person_id=version.plan.person_id,
        summary=f"Removed {'outcome' if isinstance(row, Outcome) else 'support item'} {row}",
        changes={f"removed.{k}": [v, None] for k, v in audit.snapshot(row, fields).items()},
    )
    row.delete()


@transaction.atomic
def plan_submit(*, version: PlanVersion, acting_user, expected_revision: int | None = None) -> PlanVersion:
    """Sends a complete draft to the PHB team. Refused while anything required is missing, and, given the
    revision the coordinator checked (the check page sends it), when the draft changed since."""
    SupportPlan.objects.select_for_update().filter(pk=version.plan_id).exists()  # one move of a plan at a time
    current = version_with_details().select_for_update(of=("self",)).get(pk=version.pk)
    lifecycle.check(lifecycle.Action.SUBMIT, current, acting_user)
    if expected_revision is not None and current.revision != expected_revision:
        changed = PlanVersion.objects.select_related("updated_by").get(pk=current.pk)
        raise StaleRecordError(
            noun="plan",
            changed_by=changed.updated_by.display_name if changed.updated_by else "someone",
            changed_at=timezone.localtime(changed.updated_at),
        )
    gaps = rules.missing(snapshot(current))
    if gaps:
        raise ServiceError("The plan cannot be submitted yet: " + "; ".join(gaps) + ".")
    now = timezone.now()
    PlanVersion.objects.filter(pk=current.pk, status__in=lifecycle.FROM_STATUSES[lifecycle.Action.SUBMIT]).update(
        status=Status.SUBMITTED, submitted_at=now, submitted_by=acting_user, updated_at=now, updated_by=acting_user
    )
    record_event(current, from_status=current.status, to_status=Status.SUBMITTED, acting_user=acting_user)
    audit.record(
        actor=acting_user,
        action=AuditAction.SUBMIT,
        obj=current,
        person_id=current.plan.person_id,
        summary=f"Submitted version {current.number} of the plan to the PHB team",
        changes={"status": [current.status, Status.SUBMITTED.value]},
    )
    return PlanVersion.objects.get(pk=current.pk)


def copy_to_new_draft(*, source: PlanVersion, acting_user, reason: str, author=None) -> PlanVersion:
    """A new draft version with the source's content, outcomes and items (their keys kept for comparison).

    The person agrees to each version afresh, so the agreement is not copied.
    """
    plan = source.plan
    number = (plan.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    values = {name: getattr(source, name) for name in PLAN_FIELDS}
    values.update(agreed_on=None, agreement_method="", agreement_witness="")
    # The author of the copy is who will write it (the coordinator), never a PHB team member who
    # returned it: otherwise the four-eyes rule would stop them deciding on it later.
    author = author or acting_user
    draft = PlanVersion.objects.create(
        plan=plan,
        number=number,
        budget_version=source.budget_version,
        created_by=author,
        updated_by=author,
        **values,
    )
    copies = {}
    for outcome in source.outcomes.all():
        copies[outcome.pk] = Outcome.objects.create(
            plan_version=draft, key=outcome.key, **{name: getattr(outcome, name) for name in OUTCOME_FIELDS}
        )
    for item in source.items.all():
        new = SupportItem.objects.create(
            plan_version=draft, key=item.key, **{name: getattr(item, name) for name in ITEM_FIELDS}
        )
        new.outcomes.set([copies[o.pk] for o in item.linked_outcomes()])
    record_event(draft, from_status="", to_status=Status.DRAFT, acting_user=acting_user, reason=reason)
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=draft,
        person_id=plan.person_id,
        summary=f"Started version {number} of the plan from version {source.number}",
    )
    return draft


@transaction.atomic
def plan_amend(*, plan: SupportPlan, acting_user) -> PlanVersion:
    """Starts a new draft from the latest agreed version. The agreed version stays in force until
    the new one is approved."""
    _require_coordinator_for(plan.person, acting_user)
    SupportPlan.objects.select_for_update().get(pk=plan.pk)
    # The newest agreed version not yet replaced or ended; the rule refuses one that is ending.
    source = version_with_details().filter(plan=plan, status__in=Status.CURRENT).order_by("-number").first()
    if source is None:
        raise ServiceError("Only an approved or active plan can be changed with a new version.")
    lifecycle.check(lifecycle.Action.AMEND, source, acting_user)
    draft = copy_to_new_draft(
        source=source, acting_user=acting_user, reason=f"New version started from version {source.number}"
    )
    return PlanVersion.objects.get(pk=draft.pk)


def plan_record_view(*, version: PlanVersion, acting_user, page: str = "support plan") -> None:
    audit.record(
        actor=acting_user,
        action=AuditAction.VIEW,
        obj=version,
        person_id=version.plan.person_id,
        summary=f"Viewed {page} (version {version.number})",
    )
