"""The plan for other NHS systems: every agreed version is a FHIR R4 Bundle that validates, shows what the
plan says (a change shows in the next version's export), and is served only to those who may see the plan."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from careplans import approval, fhir, rules, services
from careplans.access import get_version_for_user
from careplans.models import PlanVersion, Status
from careplans.tests.factories import add_item, approved_plan, complete_plan
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

# The codes FHIR R4 allows where its bindings are required (fhir.resources checks structure, not codes).
REQUIRED_CODES = {
    ("Bundle", "type"): {
        "document",
        "message",
        "transaction",
        "transaction-response",
        "batch",
        "batch-response",
        "history",
        "searchset",
        "collection",
    },
    ("CarePlan", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("Goal", "lifecycleStatus"): {
        "proposed",
        "planned",
        "accepted",
        "active",
        "on-hold",
        "completed",
        "cancelled",
        "entered-in-error",
        "rejected",
    },
}
ACTIVITY_STATUSES = {
    "not-started",
    "scheduled",
    "in-progress",
    "on-hold",
    "completed",
    "cancelled",
    "stopped",
    "unknown",
    "entered-in-error",
}


def empty_values(value, path="") -> list[str]:
    """Where the JSON has an empty list, object or string: FHIR allows none of them."""
    if value in ("", [], {}):
        return [path]
    if isinstance(value, dict):
        return [found for key, inner in value.items() for found in empty_values(inner, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for n, inner in enumerate(value) for found in empty_values(inner, f"{path}[{n}]")]
    return []


def references(value) -> list[str]:
    if isinstance(value, dict):
        own = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return own + [found for inner in value.values() for found in references(inner)]
    if isinstance(value, list):
        return [found for inner in value for found in references(inner)]
    return []


def check(bundle: dict) -> dict:
    """Validates the bundle as FHIR R4 (through JSON, as another system reads it) and returns its resources
    by type; fails on a code FHIR does not allow, an empty value or a reference to nothing in the bundle."""
    data = json.loads(fhir.bundle_json(bundle))
    Bundle.model_validate(data)
    assert data["type"] in REQUIRED_CODES[("Bundle", "type")]
    assert empty_values(data) == []
    full_urls = [entry["fullUrl"] for entry in data["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    assert set(references(data)) <= set(full_urls)
    by_type: dict[str, list] = {}
    for entry in data["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        for (kind, element), codes in REQUIRED_CODES.items():
            if kind == resource["resourceType"]:
                assert resource[element] in codes, (kind, element, resource[element])
        by_type.setdefault(resource["resourceType"], []).append(resource)
    for careplan in by_type["CarePlan"]:
        for activity in careplan.get("activity", []):
            assert activity["detail"]["status"] in ACTIVITY_STATUSES
    return by_type


def loaded(version, user) -> PlanVersion:
    """The version as the view reads it."""
    return get_version_for_user(user, version.pk)


def items_of(careplan) -> dict[str, dict]:
    """The support items by description: their annual cost and money option, from the cost extension."""
    found = {}
    for activity in careplan["activity"]:
        detail = activity["detail"]
        for extension in detail.get("extension", []):
            if extension["url"] == fhir.PHB_COST_URL:
                parts = {part["url"]: part for part in extension["extension"]}
                found[detail["description"]] = {
                    "annual": Decimal(str(parts["annualCost"]["valueMoney"]["value"])),
                    "currency": parts["annualCost"]["valueMoney"]["currency"],
                    "option": parts["moneyOption"]["valueCoding"]["code"],
                    "goals": [goal["reference"] for goal in detail.get("goal", [])],
                }
    return found


@pytest.fixture
def agreed(jane, alice, priya):
    return approved_plan(person=jane, coordinator=alice, approver=priya)


def test_every_agreed_version_in_the_demo_validates(settings, seeded_cohorts):
    """seed_demo takes about half a minute; one test, so it is loaded once."""
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    versions = list(PlanVersion.objects.order_by("plan__person__family_name", "number"))
    agreed = [version for version in versions if fhir.exportable(version)]
    # The demo has a plan at every agreed status, so every line of the status mapping is checked here.
    assert {version.status for version in agreed} == Status.AGREED
    for version in agreed:
        found = check(fhir.plan_bundle(get_version_for_user(version.created_by, version.pk)))
        (patient,), (careplan,) = found["Patient"], found["CarePlan"]
        person = version.plan.person
        assert patient["identifier"] == [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": person.nhs_number}]
        assert careplan["id"] == str(version.pk)
        assert careplan["status"] == fhir.careplan_status(version.status)
        assert [goal["description"]["text"] for goal in found["Goal"]] == [o.goal for o in version.outcomes.all()]
        assert sorted(items_of(careplan)) == sorted(item.description for item in version.items.all())
    for version in versions:
        if not fhir.exportable(version):
            with pytest.raises(fhir.NotExportable):
                fhir.plan_bundle(version)
    assert any(not fhir.exportable(version) for version in versions)


def test_it_shows_the_plan_as_agreed(agreed, alice):
    found = check(fhir.plan_bundle(loaded(agreed, alice)))
    (patient,), (careplan,) = found["Patient"], found["CarePlan"]
    person = agreed.plan.person
    assert patient["name"][0] == {"use": "official", "family": "Smith", "given": ["Jane"]}
    assert patient["birthDate"] == "1958-03-14"
    assert patient["meta"]["profile"] == ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]
    assert careplan["meta"]["profile"] == ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-CarePlan"]
    assert careplan["subject"] == {"reference": f"urn:uuid:{person.pk}"}
    assert careplan["author"] == {"display": "Alice Adams (care coordinator)"}
    assert careplan["period"] == {"start": "2026-04-01"}
    assert careplan["intent"] == "plan"
    assert careplan["description"] == "Getting back to my choir and seeing my grandchildren."
    (budget,) = careplan["extension"]
    assert budget["url"] == fhir.AGREED_BUDGET_URL
    assert Decimal(str(budget["valueMoney"]["value"])) == loaded(agreed, alice).agreed_annual
    # The person's words and the part of life in plain English.
    goals = {goal["description"]["text"]: goal for goal in found["Goal"]}
    assert goals["Sing in my choir again"]["category"][0]["text"] == "Social participation and relationships"
    assert goals["Wash and dress with help I choose"]["category"][0]["coding"][0]["code"] == "daily_living"
    # The same annual costs as the plan page and the PDF (careplans.rules), and how each is paid.
    items = items_of(careplan)
    assert items["Taxi to choir"]["annual"] == Decimal("1251.43")
    assert items["Taxi to choir"]["currency"] == "GBP"
    assert items["Personal assistant"]["option"] == "direct_payment"
    assert items["Shower seat"]["option"] == "notional"
    for item in agreed.items.all():
        annual = rules.item_annual_cost(item.unit_cost, item.quantity, item.frequency)
        assert items[item.description]["annual"] == annual
    assert items["Taxi to choir"]["goals"] == [f"urn:uuid:{goals['Sing in my choir again']['id']}"]
    # The first review, due by the date approval set.
    review = agreed.reviews.get()
    (scheduled,) = [a for a in careplan["activity"] if a["detail"]["code"] == fhir.REVIEW_CODE]
    assert scheduled["detail"]["scheduledPeriod"] == {"end": review.due_on.isoformat()}
    assert scheduled["detail"]["status"] == "scheduled"


def test_a_change_to_the_plan_shows_in_the_export(agreed, alice, priya):
    before = check(fhir.plan_bundle(loaded(agreed, alice)))
    draft = services.plan_amend(plan=agreed.plan, acting_user=alice)
    target = datetime.date.today() + datetime.timedelta(days=90)
    for outcome in draft.outcomes.all():
        words = {"goal": "Sing with my choir at the Christmas concert"} if "choir" in outcome.goal else {}
        services.outcome_save(
            version=draft,
            expected_revision=draft.revision,
            acting_user=alice,
            outcome=outcome,
            target_date=target,
            **words,
        )
        draft.refresh_from_db()
    choir = draft.outcomes.get(goal__contains="choir")
    add_item(draft, alice, [choir], description="Singing lessons", unit_cost="30.00", quantity="1", frequency="month")
    draft.refresh_from_db()
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        start_date=datetime.date.today(),
        first_review_date=datetime.date.today() + datetime.timedelta(days=60),
        agreed_on=datetime.date.today(),
        agreement_method="signed",
    )
    changed = approval.plan_approve(
        version=services.plan_submit(version=draft, acting_user=alice),
        financially_appropriate=True,
        clinically_appropriate=True,
        acting_user=priya,
    )
    assert changed.status == Status.ACTIVE

    after = check(fhir.plan_bundle(loaded(changed, alice)))
    (careplan,) = after["CarePlan"]
    assert careplan["status"] == "active"
    assert careplan["identifier"] == before["CarePlan"][0]["identifier"]  # the same plan, a new version
    assert careplan["id"] != before["CarePlan"][0]["id"]
    assert items_of(careplan)["Singing lessons"]["annual"] == Decimal("360.00")
    assert "Singing lessons" not in items_of(before["CarePlan"][0])
    words = [goal["description"]["text"] for goal in after["Goal"]]
    assert "Sing with my choir at the Christmas concert" in words and "Sing in my choir again" not in words
    # The outcome keeps its identifier across versions, so a receiving system can follow it.
    old = next(g for g in before["Goal"] if g["description"]["text"] == "Sing in my choir again")
    new = next(g for g in after["Goal"] if g["description"]["text"].startswith("Sing with my choir"))
    assert old["identifier"] == new["identifier"]

    # The version it replaced is still exported as it was, now revoked.
    replaced = check(fhir.plan_bundle(loaded(agreed, alice)))
    assert replaced["CarePlan"][0]["status"] == "revoked"
    assert {goal["lifecycleStatus"] for goal in replaced["Goal"]} == {"completed"}
    assert "Singing lessons" not in items_of(replaced["CarePlan"][0])


def test_an_ended_budget_has_its_end_date_and_is_completed(agreed, alice):
    ended_on = datetime.date.today() - datetime.timedelta(days=1)
    approval.plan_end(
        version=agreed,
        reason="moved_away",
        ended_on=ended_on,
        note="Moved to Bristol.",
        unspent_to_repay=None,
        acting_user=alice,
    )
    agreed.refresh_from_db()
    assert agreed.status == Status.ENDED
    (careplan,) = check(fhir.plan_bundle(loaded(agreed, alice)))["CarePlan"]
    assert careplan["status"] == "completed"
    assert careplan["period"] == {"start": "2026-04-01", "end": ended_on.isoformat()}
    assert {a["detail"]["status"] for a in careplan["activity"] if a["detail"]["code"] != fhir.REVIEW_CODE} == {
        "completed"
    }


def test_only_agreed_statuses_have_a_fhir_status():
    for status in Status:
        if status in Status.AGREED:
            assert fhir.careplan_status(status) in REQUIRED_CODES[("CarePlan", "status")]
            assert fhir.goal_status(status) in REQUIRED_CODES[("Goal", "lifecycleStatus")]
            assert fhir.activity_status(status) in ACTIVITY_STATUSES
        else:
            with pytest.raises(fhir.NotExportable):
                fhir.careplan_status(status)


# The page and the download.


@pytest.mark.parametrize("persona", ["alice", "bob", "priya"])
def test_the_care_team_and_the_phb_team_download_it(client, request, agreed, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    page = client.get(reverse("careplans:version", kwargs={"pk": agreed.pk})).content.decode()
    url = reverse("careplans:fhir", kwargs={"pk": agreed.pk})
    assert f'href="{url}"' in page and "Download for other NHS systems (FHIR)" in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/fhir+json"
    nhs_number = agreed.plan.person.nhs_number
    assert f'filename="support-plan-{nhs_number}-v1.fhir.json"' in response["Content-Disposition"]
    check(json.loads(response.content))
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(agreed.pk)).latest("id")
    assert event.summary == "Viewed support plan for other NHS systems (version 1)"
    assert event.actor == user
    assert str(event.person_id) == str(agreed.plan.person_id)


@pytest.mark.parametrize("persona", ["charlie", "pat", "ada"])
def test_other_teams_patients_and_admins_get_404(client, request, agreed, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("careplans:fhir", kwargs={"pk": agreed.pk}))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(agreed.pk)).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED).exists()


def test_a_plan_not_yet_agreed_is_not_offered_or_served(client, jane, alice, priya):
    draft = complete_plan(person=jane, coordinator=alice)
    client.force_login(alice)
    url = reverse("careplans:fhir", kwargs={"pk": draft.pk})
    for version in (draft, services.plan_submit(version=draft, acting_user=alice)):
        page = client.get(reverse("careplans:version", kwargs={"pk": version.pk})).content.decode()
        assert "Download for other NHS systems" not in page
        assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, summary__contains="other NHS systems").exists()
