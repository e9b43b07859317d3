"""An agreed support plan as FHIR R4 (UK Core), for other NHS systems to read.

plan_bundle(version) builds plain JSON-ready dicts (no FHIR library at run time; the tests validate the
result with fhir.resources). Only an agreed version is exported (`exportable`: Status.AGREED, the versions
the PHB team agreed at some time, which are also the versions the person may see); a draft or a plan
waiting for a decision is not a plan anyone may act on.

Choices, and why:

- A Bundle of type `collection`, not `document`. A document needs a Composition with an attester and
  makes the bundle a signed-off clinical document; the plan's signed-off human-readable form is already
  the plan PDF, and what another system wants here is the data to import: the person, the plan, its
  goals. A collection carries that with no processing rules of its own.
- Patient: the NHS number (system https://fhir.nhs.uk/Id/nhs-number), name and date of birth, nothing
  more (the least a receiving system needs to match the person), with the UKCore-Patient profile.
- CarePlan (UKCore-CarePlan): intent `plan`; the status follows the version's status (the mapping
  below); period from the start date to the end date when the budget is ending or has ended; `created`
  is when the version was made; the author is the care coordinator as a display-only reference (staff
  have no national identifier in this service until NHS CIS2 sign-in lands, so a Practitioner resource
  would carry nothing but a name). The identifier is the support plan's id, the same for every version,
  so a receiving system can tell that two exports are versions of one plan; each version's `id` is its
  own.
- Each outcome is a Goal (UK Core has no Goal profile, so base R4): the person's own words as
  `description.text`, the part of life as `category` (a code system of ours, with the words the service
  shows), the measure and target date as a `target`, the outcome's key (the same across versions) as
  its identifier.
- What the money buys is CarePlan.activity, one a support item: the description, the category, the
  provider as performer, the goals it is for, and its cost in the extension PHB_COST_URL: the annual cost
  (valueMoney in GBP, worked out by careplans.rules.item_annual_cost, the one rule the plan page and the
  PDF use) and how the money is managed (direct payment, notional or third party, a coding), with the
  organisation holding a third-party budget. Not a ChargeItem or a Claim: those record a charge made or
  a bill to a payer for care given, and this is a budget agreed in advance; a Claim would tell a
  receiving system that money is owed. An extension keeps the cost with the thing it pays for. The
  budget agreed for the year (PlanVersion.agreed_annual, fixed on approval) is a second extension, on
  the CarePlan (AGREED_BUDGET_URL).
- The review schedule is one activity a review of this version: the due date as the end of
  `scheduledPeriod` (a review is due no later than that day, which is what the schedule's rules
  promise) and the review's own status (due, done, cancelled), which a note could not carry. A version
  with no reviews of its own (its review still due moved to the version that replaced it) shows its
  first review date the same way.

Status mapping (FHIR R4 request-status for the CarePlan, goal-status and care-plan-activity-status for
the goals and the support items), from careplans.models.Status's own sets:
  agreed and not replaced or ended (Status.CURRENT: approved, active, ending)  → active
      (the goals: accepted while approved and waiting for the start date, active once running;
      the items: not-started while waiting, in-progress once running)
  ended                                                                         → completed
  replaced by a newer version (superseded)                                      → revoked
      (the goals completed, no longer sought under this version, and the items stopped: both go on
      in the newer version, each goal under the same identifier)

FHIR decimals are JSON numbers, and json cannot write a Decimal, so an amount is written as a float
by `_fhir_decimal` only at this edge: every amount here has at most 12 significant figures (pounds and
pence up to £9,999,999,999.99), and a float's shortest repr gives those digits back exactly.
"""

import datetime
import json
from decimal import Decimal

from django.utils import timezone

from careplans import rules
from careplans.models import PlanVersion, Review, ReviewStatus, Status
from phb.words import long_date

# Placeholders for the ICB's own FHIR definitions: an installation publishes its StructureDefinitions
# and CodeSystems at its own base and changes this one line.
BASE = "https://fhir.example-icb.nhs.uk"
PHB_COST_URL = f"{BASE}/StructureDefinition/phb-support-item-cost"
AGREED_BUDGET_URL = f"{BASE}/StructureDefinition/phb-agreed-annual-budget"
MONEY_OPTION_SYSTEM = f"{BASE}/CodeSystem/phb-money-option"
DOMAIN_SYSTEM = f"{BASE}/CodeSystem/phb-outcome-domain"
ITEM_CATEGORY_SYSTEM = f"{BASE}/CodeSystem/phb-support-category"
PLAN_ID_SYSTEM = f"{BASE}/Id/phb-support-plan"
OUTCOME_ID_SYSTEM = f"{BASE}/Id/phb-outcome"

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
UK_CORE_PATIENT = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"
UK_CORE_CAREPLAN = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-CarePlan"

CONTENT_TYPE = "application/fhir+json; charset=utf-8"

REVIEW_ACTIVITY_STATUS = {
    ReviewStatus.DUE: "scheduled",
    ReviewStatus.COMPLETED: "completed",
    ReviewStatus.CANCELLED: "cancelled",
}


class NotExportable(ValueError):
    """The version has not been agreed: there is no plan to send yet."""


def exportable(version: PlanVersion) -> bool:
    """Whether the version may be sent to other NHS systems: it has been agreed. The view serves it and the
    plan page links to it exactly when this says so."""
    return version.status in Status.AGREED


def careplan_status(status: str) -> str:
    if status in Status.CURRENT:
        return "active"
    if status == Status.ENDED:
        return "completed"
    if status == Status.SUPERSEDED:
        return "revoked"
    raise NotExportable(f"A plan version that is {status} is not agreed")


def goal_status(status: str) -> str:
    if status in Status.RUNNING:
        return "active"
    if status in Status.CURRENT:
        return "accepted"  # approved, waiting for its start date
    careplan_status(status)  # refuses a status that was never agreed
    return "completed"


def activity_status(status: str) -> str:
    if status in Status.RUNNING:
        return "in-progress"
    if status in Status.CURRENT:
        return "not-started"
    return {"completed": "completed", "revoked": "stopped"}[careplan_status(status)]


def _fhir_decimal(amount: Decimal) -> float:
    """An amount as a JSON number (see the module's docstring for why this is exact)."""
    return float(amount)


def _money(amount: Decimal) -> dict:
    return {"value": _fhir_decimal(amount), "currency": "GBP"}


def _urn(pk) -> str:
    return f"urn:uuid:{pk}"


def _ref(resource: dict) -> dict:
    return {"reference": _urn(resource["id"])}


def patient_resource(person) -> dict:
    names = [{"use": "official", "family": person.family_name, "given": [person.given_name]}]
    if person.preferred_name:
        names.append({"use": "usual", "family": person.family_name, "given": [person.preferred_name]})
    return {
        "resourceType": "Patient",
        "id": str(person.pk),
        "meta": {"profile": [UK_CORE_PATIENT]},
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": person.nhs_number}],
        "name": names,
        "birthDate": person.date_of_birth.isoformat(),
    }


def goal_resource(outcome, *, version: PlanVersion, patient: dict) -> dict:
    target = {"measure": {"text": outcome.measure}}
    if outcome.target_date:
        target["dueDate"] = outcome.target_date.isoformat()
    goal = {
        "resourceType": "Goal",
        "id": str(outcome.pk),
        "identifier": [{"system": OUTCOME_ID_SYSTEM, "value": str(outcome.key)}],
        "lifecycleStatus": goal_status(version.status),
        "category": [
            {
                "coding": [{"system": DOMAIN_SYSTEM, "code": outcome.domain, "display": outcome.get_domain_display()}],
                "text": outcome.get_domain_display(),
            }
        ],
        "description": {"text": outcome.goal},
        "subject": _ref(patient),
        "expressedBy": _ref(patient),
        "target": [target],
    }
    if version.start_date:
        goal["startDate"] = version.start_date.isoformat()
    return goal


def item_cost_extension(item) -> dict:
    """The support item's annual cost and how its money is managed (PHB_COST_URL)."""
    annual = rules.item_annual_cost(item.unit_cost, item.quantity, item.frequency)
    option = rules.MoneyOption(item.money_option)
    parts = [
        {"url": "annualCost", "valueMoney": _money(annual)},
        {
            "url": "moneyOption",
            "valueCoding": {
                "system": MONEY_OPTION_SYSTEM,
                "code": option.value,
                "display": rules.MONEY_OPTION_LABELS[option],
            },
        },
    ]
    if item.third_party_organisation:
        parts.append({"url": "thirdPartyOrganisation", "valueString": item.third_party_organisation})
    return {"url": PHB_COST_URL, "extension": parts}


def item_activity(item, *, version: PlanVersion, goals: dict) -> dict:
    detail = {
        "extension": [item_cost_extension(item)],
        "code": {
            "coding": [{"system": ITEM_CATEGORY_SYSTEM, "code": item.category, "display": item.get_category_display()}],
            "text": item.get_category_display(),
        },
        "status": activity_status(version.status),
        "description": item.description,
    }
    linked = [_ref(goals[outcome.pk]) for outcome in item.linked_outcomes() if outcome.pk in goals]
    if linked:
        detail["goal"] = linked
    if item.provider:
        detail["performer"] = [{"display": item.provider}]
    return {"detail": detail}


REVIEW_CODE = {"text": "Review of the personal health budget and support plan"}


def _review_activity(*, status: str, description: str, due_on: datetime.date, method: str) -> dict:
    return {
        "detail": {
            "code": REVIEW_CODE,
            "status": status,
            "description": f"{description} ({method})" if method else description,
            "scheduledPeriod": {"end": due_on.isoformat()},
        }
    }


def review_activities(version: PlanVersion, reviews: list[Review]) -> list[dict]:
    """One activity a review of this version, due by its date; the first review date when none is kept
    (reviews still due move to a newer version when it starts, so a replaced version keeps only those done)."""
    method = version.review_method
    if reviews:
        return [
            _review_activity(
                status=REVIEW_ACTIVITY_STATUS[ReviewStatus(review.status)],
                description=str(review),
                due_on=review.due_on,
                method=method,
            )
            for review in reviews
        ]
    if version.first_review_date is None:
        return []
    return [
        _review_activity(
            status=activity_status(version.status),
            description=f"First review due {long_date(version.first_review_date)}",
            due_on=version.first_review_date,
            method=method,
        )
    ]


def careplan_resource(version: PlanVersion, *, patient: dict, goals: list[dict], reviews: list[Review]) -> dict:
    goals_by_outcome = {outcome.pk: goal for outcome, goal in zip(version.outcomes.all(), goals, strict=True)}
    period = {}
    if version.start_date:
        period["start"] = version.start_date.isoformat()
    if version.ended_on:
        period["end"] = version.ended_on.isoformat()
    careplan = {
        "resourceType": "CarePlan",
        "id": str(version.pk),
        "meta": {"profile": [UK_CORE_CAREPLAN]},
        "identifier": [{"system": PLAN_ID_SYSTEM, "value": str(version.plan_id)}],
        "status": careplan_status(version.status),
        "intent": "plan",
        "title": f"Personal health budget support plan, version {version.number}",
        "subject": _ref(patient),
        "created": version.created_at.isoformat(),
        "goal": [_ref(goal) for goal in goals],
        "activity": [
            *(item_activity(item, version=version, goals=goals_by_outcome) for item in version.items.all()),
            *review_activities(version, reviews),
        ],
    }
    if version.agreed_annual is not None:
        careplan["extension"] = [{"url": AGREED_BUDGET_URL, "valueMoney": _money(version.agreed_annual)}]
    if version.what_matters:
        careplan["description"] = version.what_matters
    if period:
        careplan["period"] = period
    if version.care_coordinator:
        careplan["author"] = {"display": f"{version.care_coordinator.display_name} (care coordinator)"}
    for name in ("goal", "activity"):
        if not careplan[name]:
            del careplan[name]  # FHIR has no empty lists
    return careplan


def plan_bundle(version: PlanVersion, *, now: datetime.datetime | None = None) -> dict:
    """The agreed version as a FHIR R4 collection Bundle: its Patient, CarePlan and Goals.

    version: as careplans.access.get_version_for_user gives it (its person, coordinator, outcomes and items
    loaded). Raises NotExportable for a version that has not been agreed (ask `exportable` first)."""
    careplan_status(version.status)
    patient = patient_resource(version.plan.person)
    goals = [goal_resource(outcome, version=version, patient=patient) for outcome in version.outcomes.all()]
    reviews = list(version.reviews.all())
    careplan = careplan_resource(version, patient=patient, goals=goals, reviews=reviews)
    return {
        "resourceType": "Bundle",
        "id": str(version.pk),
        "type": "collection",
        "timestamp": (now or timezone.now()).isoformat(),
        "entry": [{"fullUrl": _urn(resource["id"]), "resource": resource} for resource in [patient, careplan, *goals]],
    }


def bundle_json(bundle: dict) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, indent=2).encode()


def file_name(version: PlanVersion) -> str:
    """The download's name: the NHS number (10 digits, a database constraint) and the version, so the file
    says whose plan it is to whoever imports it, with nothing in it that needs making safe for a header."""
    return f"support-plan-{version.plan.person.nhs_number}-v{version.number}.fhir.json"
