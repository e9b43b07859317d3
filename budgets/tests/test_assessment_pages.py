"""Assessing needs and recording current services: what coordinators rely on, and who is kept out."""

import pytest
from django.urls import reverse

from budgets.calculate import LEVEL_DESCRIPTIONS, LEVEL_LABELS, Domain, NeedLevel
from budgets.models import Assessment, CurrentService
from budgets.tests.factories import add_service
from people.models import Person
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def assessment_form(**overrides):
    data = {
        "assessed_on_day": "10",
        "assessed_on_month": "1",
        "assessed_on_year": "2026",
        "participants": "Jane and her daughter",
        "engagement_support": "substantial",
        "engagement_note": "Needs help to plan",
    }
    for domain in Domain:
        data[f"level_{domain.value}"] = "moderate"
        data[f"words_{domain.value}"] = f"I want help with {domain.value}"
    data.update(overrides)
    return data


def test_it_records_an_assessment_in_every_domain_and_shows_engagement_support(client, alice, eligible_jane):
    client.force_login(alice)
    response = client.post(reverse("budgets:assessment_new", kwargs={"person_pk": eligible_jane.pk}), assessment_form())
    assessment = Assessment.objects.get()
    assert response["Location"] == reverse("budgets:assessment", kwargs={"pk": assessment.pk})
    assert assessment.needs.count() == 8
    eligible_jane.refresh_from_db()
    assert eligible_jane.engagement_support == "substantial"
    caseload = client.get(reverse("casework:caseload")).content.decode()
    assert "Substantial support" in caseload
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(assessment.pk)).exists()


def test_the_assessment_form_says_what_each_level_of_need_means(client, alice, eligible_jane):
    client.force_login(alice)
    page = client.get(reverse("budgets:assessment_new", kwargs={"person_pk": eligible_jane.pk})).content.decode()
    levels = page[page.index('data-testid="need-levels"') : page.index('id="div_id_level_')]
    for level in NeedLevel:
        assert f"{LEVEL_LABELS[level].capitalize()}</dt>" in levels
        assert LEVEL_DESCRIPTIONS[level] in levels


def test_it_refuses_an_assessment_for_someone_not_eligible(client, alice, jane):
    client.force_login(alice)
    url = reverse("budgets:assessment_new", kwargs={"person_pk": jane.pk})
    response = client.get(url, follow=True)
    assert "not eligible for a personal health budget yet" in response.content.decode()
    client.post(url, assessment_form())
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"level_housing": ""}, "level_housing", "Select the level of need for housing and safety"),
        ({"participants": ""}, "participants", "Enter who took part in the assessment"),
        ({"assessed_on_year": "2099"}, "assessed_on", "must be today or in the past"),
        ({"engagement_support": ""}, "engagement_support", "Select how much help they need"),
    ],
)
def test_it_refuses_an_incomplete_assessment(client, alice, eligible_jane, overrides, field, message):
    client.force_login(alice)
    response = client.post(
        reverse("budgets:assessment_new", kwargs={"person_pk": eligible_jane.pk}), assessment_form(**overrides)
    )
    assert any(message in e for e in response.context["form"].errors[field])
    assert not Assessment.objects.exists()


def service_form(**overrides):
    data = {
        "name": "Physiotherapy",
        "provider": "Leeds Physio",
        "service_type": "Therapy",
        "funding": "nhs_spot",
        "unit_cost": "£45.00",
        "units": "2",
        "unit_kind": "session",
        "period": "4_weeks",
    }
    data.update(overrides)
    return data


def test_it_adds_a_service_with_its_yearly_cost(client, alice, assessment):
    client.force_login(alice)
    client.post(reverse("budgets:service_add", kwargs={"assessment_pk": assessment.pk}), service_form())
    service = CurrentService.objects.get()
    assert str(service.unit_cost) == "45.00"
    page = client.get(reverse("budgets:assessment", kwargs={"pk": assessment.pk})).content.decode()
    # £45 x 2 sessions every 4 weeks = £90 x 365/28 = £1,173.21
    assert "£1,173.21" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"unit_cost": "-5"}, "unit_cost", "must be 0 or more"),
        ({"unit_cost": "twelve"}, "unit_cost", "Enter an amount in pounds"),
        ({"units": "abc"}, "units", "Enter the number of units as a number"),
        ({"units": "169", "unit_kind": "hour", "period": "week"}, "units", "more than 168 hours a week"),
        ({"unit_cost": "100000", "units": "60", "unit_kind": "session", "period": "week"}, "unit_cost", "£5,000,000"),
        ({"funding": ""}, "funding", "Select who pays for the service"),
    ],
)
def test_it_refuses_bad_service_costs_and_saves_nothing(client, alice, assessment, overrides, field, message):
    client.force_login(alice)
    response = client.post(
        reverse("budgets:service_add", kwargs={"assessment_pk": assessment.pk}), service_form(**overrides)
    )
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field]), response.context["form"].errors
    assert not CurrentService.objects.exists()


def test_it_removes_a_service_and_audits_what_it_was(client, alice, assessment):
    service = add_service(assessment=assessment, coordinator=alice)
    client.force_login(alice)
    client.post(reverse("budgets:service_remove", kwargs={"pk": service.pk}), {"version": "1"})
    assert not CurrentService.objects.exists()
    event = AuditEvent.objects.get(summary="Removed current service Home care")
    assert event.changes["service.unit_cost"] == ["20.00", None]


@pytest.mark.parametrize("persona", ["charlie", "pat", "ada"])
def test_it_hides_assessments_from_everyone_outside_the_team(client, request, assessment, alice, persona):
    service = add_service(assessment=assessment, coordinator=alice)
    client.force_login(request.getfixturevalue(persona))
    for url in [
        reverse("budgets:assessment", kwargs={"pk": assessment.pk}),
        reverse("budgets:assessment_edit", kwargs={"pk": assessment.pk}),
        reverse("budgets:service_add", kwargs={"assessment_pk": assessment.pk}),
        reverse("budgets:service_edit", kwargs={"pk": service.pk}),
        reverse("budgets:budget_new", kwargs={"assessment_pk": assessment.pk}),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("budgets:service_remove", kwargs={"pk": service.pk})).status_code == 404
    assert CurrentService.objects.filter(pk=service.pk).exists()


def test_the_phb_team_can_read_but_not_change_an_assessment(client, priya, assessment):
    client.force_login(priya)
    assert client.get(reverse("budgets:assessment", kwargs={"pk": assessment.pk})).status_code == 200
    assert client.get(reverse("budgets:assessment_edit", kwargs={"pk": assessment.pk})).status_code == 404


def test_once_its_budget_can_be_told_the_assessment_offers_a_new_assessment_instead_of_changes(
    client, alice, assessment
):
    from decimal import Decimal

    from budgets import services

    service = add_service(assessment=assessment, coordinator=alice)
    page_url = reverse("budgets:assessment", kwargs={"pk": assessment.pk})
    client.force_login(alice)
    open_page = client.get(page_url).content.decode()
    assert reverse("budgets:assessment_edit", kwargs={"pk": assessment.pk}) in open_page
    assert reverse("budgets:service_add", kwargs={"assessment_pk": assessment.pk}) in open_page
    services.budget_version_create(
        assessment=assessment,
        method="costed",
        adjustment=Decimal("0"),
        adjustment_reason="",
        council_share_means_tested=False,
        acting_user=alice,
    )  # needs no sign-off: the person can be told it

    page = client.get(page_url).content.decode()
    for url in (
        reverse("budgets:assessment_edit", kwargs={"pk": assessment.pk}),
        reverse("budgets:service_add", kwargs={"assessment_pk": assessment.pk}),
        reverse("budgets:service_edit", kwargs={"pk": service.pk}),
        reverse("budgets:service_remove", kwargs={"pk": service.pk}),
    ):
        assert url not in page
    assert "indicative budget 1 was worked out from it" in page
    assert f'href="{reverse("budgets:assessment_new", kwargs={"person_pk": assessment.person_id})}"' in page
    for url in (
        reverse("budgets:assessment_edit", kwargs={"pk": assessment.pk}),
        reverse("budgets:service_add", kwargs={"assessment_pk": assessment.pk}),
        reverse("budgets:service_edit", kwargs={"pk": service.pk}),
    ):
        response = client.get(url, follow=True)
        assert response.redirect_chain == [(page_url, 302)]
        assert "This assessment cannot be changed" in response.content.decode()


def test_the_assessment_page_uses_the_same_queries_for_3_and_20_services(
    client, alice, assessment, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("budgets:assessment", kwargs={"pk": assessment.pk})
    for _ in range(3):
        add_service(assessment=assessment, coordinator=alice)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(17):
        add_service(assessment=assessment, coordinator=alice)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("Home care") >= 20


def test_the_caseload_shows_engagement_support_without_a_query_per_row(
    client, alice, north, django_assert_max_num_queries
):
    from people.tests.factories import PersonFactory

    PersonFactory.create_batch(3, care_team=north, engagement_support="some")
    client.force_login(alice)
    team = reverse("casework:caseload") + "?show=team"  # the team's tab: Alice leads none of them
    with django_assert_max_num_queries(10) as few:
        client.get(team)
    PersonFactory.create_batch(15, care_team=north, engagement_support="substantial")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(team).content.decode()
    assert page.split("<tbody")[1].count("Substantial support") == 15  # the rows (the filter offers it too)
    assert Person.objects.count() == 18


def test_a_stale_service_edit_is_refused_and_resubmitting_it_is_refused_again(client, alice, bob, assessment):
    service = add_service(assessment=assessment, coordinator=alice)
    url = reverse("budgets:service_edit", kwargs={"pk": service.pk})
    client.force_login(bob)
    client.post(url, service_form(name="Bob's name", version="1"))
    client.force_login(alice)
    response = client.post(url, service_form(name="Alice's name", version="1"))
    assert "This service was changed by Bob Brown" in response.content.decode()
    # The page carries the version Alice's form was opened at, so pressing Save again is refused too.
    assert 'name="version" value="1"' in response.content.decode()
    response = client.post(url, service_form(name="Alice's name", version="1"))
    assert response.status_code == 200
    service.refresh_from_db()
    assert service.name == "Bob's name"


def test_edit_pages_are_audited_as_views(client, alice, assessment):
    service = add_service(assessment=assessment, coordinator=alice)
    client.force_login(alice)
    before = AuditEvent.objects.filter(action=AuditAction.VIEW).count()
    for url in [
        reverse("people:edit", kwargs={"pk": assessment.person_id}),
        reverse("budgets:assessment_edit", kwargs={"pk": assessment.pk}),
        reverse("budgets:service_edit", kwargs={"pk": service.pk}),
        reverse("eligibility:new", kwargs={"person_pk": assessment.person_id}),
    ]:
        assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, person_id=assessment.person_id).count() == before + 4


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"units": "0"}, "units", "Number of units must be more than 0"),
        ({"units": "1.234"}, "units", "no more than 2 decimal places"),
        ({"units": "123456789"}, "units", "999,999 or fewer"),
        ({"unit_cost": "99999999999.99"}, "unit_cost", "Cost of one unit must be £5,000,000 or less"),
    ],
)
def test_it_says_what_to_do_for_out_of_range_numbers(client, alice, assessment, overrides, field, message):
    client.force_login(alice)
    response = client.post(
        reverse("budgets:service_add", kwargs={"assessment_pk": assessment.pk}), service_form(**overrides)
    )
    assert any(message in e for e in response.context["form"].errors[field]), response.context["form"].errors
