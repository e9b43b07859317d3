"""Plan pages: bad input gets a message, other teams and patients are kept out, lists stay cheap."""

import pytest
from django.urls import reverse

from careplans.models import Outcome, PlanVersion, SupportItem, SupportPlan
from careplans.tests.factories import add_item, budgeted, complete_plan
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(jane, alice):
    return complete_plan(person=jane, coordinator=alice)


def item_form(version, **overrides):
    data = {
        "revision": str(version.revision),
        "description": "Gardening club",
        "provider": "",
        "category": "activities",
        "unit_cost": "10",
        "quantity": "1",
        "frequency": "week",
        "money_option": "notional",
        "third_party_organisation": "",
        "outcomes": [str(version.outcomes.first().pk)],
    }
    data.update(overrides)
    return data


def outcome_form(version, **overrides):
    data = {
        "revision": str(version.revision),
        "domain": "social",
        "goal": "Join a gardening club",
        "measure": "I go most weeks",
        "target_date_day": "1",
        "target_date_month": "10",
        "target_date_year": "2026",
    }
    data.update(overrides)
    return data


def test_it_starts_a_plan_from_an_agreed_budget(client, alice, jane):
    budget = budgeted(person=jane, coordinator=alice)
    client.force_login(alice)
    response = client.post(reverse("careplans:new", kwargs={"person_pk": jane.pk}), {"budget_version": str(budget.pk)})
    version = PlanVersion.objects.get()
    assert response["Location"] == reverse("careplans:version", kwargs={"pk": version.pk})


def test_it_will_not_start_a_plan_without_eligibility_and_a_budget(client, alice, jane):
    client.force_login(alice)
    response = client.get(reverse("careplans:new", kwargs={"person_pk": jane.pk}), follow=True)
    assert "they need to be eligible and to have an indicative budget" in response.content.decode()
    assert not SupportPlan.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"unit_cost": "-5"}, "unit_cost", "must be 0 or more"),
        ({"unit_cost": "0"}, "unit_cost", "Unit cost must be more than £0"),
        ({"quantity": "200"}, "quantity", "168 or fewer a week"),
        ({"quantity": "many"}, "quantity", "Enter the quantity as a number"),
        ({"money_option": "third_party"}, "third_party_organisation", "organisation that holds the money"),
        ({"description": ""}, "description", "Enter what the money buys"),
    ],
)
def test_it_refuses_bad_items_and_saves_nothing(client, alice, draft, overrides, field, message):
    client.force_login(alice)
    response = client.post(
        reverse("careplans:item_add", kwargs={"version_pk": draft.pk}), item_form(draft, **overrides)
    )
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field]), response.context["form"].errors
    assert SupportItem.objects.filter(plan_version=draft).count() == 3


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"domain": ""}, "domain", "Select the part of life"),
        ({"target_date_year": "2025"}, "target_date", "on or after the plan's start date"),
        ({"goal": ""}, "goal", "Enter what the person wants to achieve"),
    ],
)
def test_it_refuses_bad_outcomes_and_saves_nothing(client, alice, draft, overrides, field, message):
    client.force_login(alice)
    response = client.post(
        reverse("careplans:outcome_add", kwargs={"version_pk": draft.pk}), outcome_form(draft, **overrides)
    )
    assert any(message in e for e in response.context["form"].errors[field]), response.context["form"].errors
    assert Outcome.objects.filter(plan_version=draft).count() == 2


def test_a_direct_payment_needs_a_recipient(client, alice, draft):
    from careplans.tests.test_plans import plan_form

    client.force_login(alice)
    response = client.post(
        reverse("careplans:edit", kwargs={"pk": draft.pk}), plan_form(draft, dp_recipient="", dp_recipient_name="")
    )
    assert response.context["form"].errors["dp_recipient"] == ["Select who receives the direct payment"]
    draft.refresh_from_db()
    assert draft.dp_recipient == "nominee"


def test_a_first_review_before_the_start_is_refused(client, alice, draft):
    from careplans.tests.test_plans import plan_form

    client.force_login(alice)
    response = client.post(
        reverse("careplans:edit", kwargs={"pk": draft.pk}),
        plan_form(draft, first_review_date_month="3"),
    )
    assert response.context["form"].errors["first_review_date"] == [
        "Date of the first review must be after the start date"
    ]


def test_it_shows_the_missing_list_shrinking_to_empty_then_submits(client, alice, draft):
    client.force_login(alice)
    url = reverse("careplans:version", kwargs={"pk": draft.pk})
    assert client.get(url).context["missing"] == []
    client.post(reverse("careplans:submit", kwargs={"pk": draft.pk}))
    draft.refresh_from_db()
    assert draft.status == "submitted"
    page = client.get(url).content.decode()
    assert "Submitted to the PHB team" in page
    assert "Change the rest of the plan" not in page


@pytest.mark.parametrize("persona", ["charlie", "pat", "ada"])
def test_other_teams_and_patients_get_404(client, request, draft, persona):
    client.force_login(request.getfixturevalue(persona))
    item = draft.items.first()
    outcome = draft.outcomes.first()
    for url in [
        reverse("careplans:version", kwargs={"pk": draft.pk}),
        reverse("careplans:edit", kwargs={"pk": draft.pk}),
        reverse("careplans:pdf", kwargs={"pk": draft.pk}),
        reverse("careplans:item_add", kwargs={"version_pk": draft.pk}),
        reverse("careplans:item_edit", kwargs={"pk": item.pk}),
        reverse("careplans:outcome_edit", kwargs={"pk": outcome.pk}),
        reverse("careplans:compare", kwargs={"pk": draft.plan_id}) + f"?from={draft.pk}&to={draft.pk}",
        reverse("careplans:new", kwargs={"person_pk": draft.plan.person_id}),
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("careplans:submit", kwargs={"pk": draft.pk}),
        reverse("careplans:item_remove", kwargs={"pk": item.pk}),
        reverse("careplans:amend", kwargs={"pk": draft.plan_id}),
    ]:
        assert client.post(url, {"revision": str(draft.revision)}).status_code == 404, url
    assert SupportItem.objects.filter(pk=item.pk).exists()


def test_the_phb_team_can_read_a_plan_but_not_change_it(client, priya, draft):
    client.force_login(priya)
    response = client.get(reverse("careplans:version", kwargs={"pk": draft.pk}))
    assert response.status_code == 200
    assert "edit" not in response.context["can"]
    assert "Change the rest of the plan" not in response.content.decode()
    assert client.get(reverse("careplans:edit", kwargs={"pk": draft.pk})).status_code == 404


def test_every_view_of_a_plan_is_audited(client, alice, draft):
    client.force_login(alice)
    client.get(reverse("careplans:version", kwargs={"pk": draft.pk}))
    client.get(reverse("careplans:pdf", kwargs={"pk": draft.pk}))
    client.get(reverse("careplans:edit", kwargs={"pk": draft.pk}))
    summaries = list(
        AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(draft.pk))
        .order_by("id")
        .values_list("summary", flat=True)
    )
    assert summaries == [
        "Viewed support plan (version 1)",
        "Viewed support plan PDF (version 1)",
        "Viewed support plan to change it (version 1)",
    ]


def test_the_plan_page_uses_the_same_queries_for_3_and_15_items(client, alice, draft, django_assert_max_num_queries):
    client.force_login(alice)
    url = reverse("careplans:version", kwargs={"pk": draft.pk})
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    outcome = draft.outcomes.first()
    for n in range(12):
        draft.refresh_from_db()
        add_item(draft, alice, [outcome], description=f"Session {n}", unit_cost="5.00", quantity="1")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["items"]) == 15


def test_the_pdf_has_the_outcomes_items_total_and_first_review(client, alice, draft):
    import io

    from pypdf import PdfReader

    client.force_login(alice)
    response = client.get(reverse("careplans:pdf", kwargs={"pk": draft.pk}))
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Sing in my choir again" in text
    assert "Taxi to choir" in text and "£1,251.43" in text
    assert "£7,593.57 a year" in text
    assert "15 June 2026" in text
    assert draft.plan.person.nhs_number_display in text
